{
  "targets": [
    {
      "target_name": "linux_sys",
      "sources": ["native/linux-sys.c", "native/netlink.c", "native/holder.c", "native/probe.c", "native/probe-engine.c", "native/sealed-exec.c"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Werror", "-Wno-unused-parameter", "-O2"]
    }
  ]
}
