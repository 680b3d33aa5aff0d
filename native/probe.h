/* The daemon's probe primitives: see probe.c. */
#ifndef ROCKLET_PROBE_H
#define ROCKLET_PROBE_H

#include <node_api.h>

void register_probe_functions(napi_env env, napi_value exports);

#endif
