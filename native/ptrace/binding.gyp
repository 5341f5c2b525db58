{
  "targets": [
    {
      "target_name": "tssc_ptrace",
      "sources": ["src/tracer.c", "src/watchdog.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter", "-pthread"],
      "libraries": ["-pthread"]
    },
    {
      "target_name": "tssc_console",
      "sources": ["src/console.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    },
    {
      "target_name": "tssc_hostnet",
      "sources": ["src/hostnet.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter", "-pthread"],
      "libraries": ["-pthread"]
    },
    {
      "target_name": "tssc_hostfs",
      "sources": ["src/hostfs.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    },
    {
      "target_name": "tssc_tty_relay",
      "type": "none",
      "actions": [
        {
          "action_name": "link_tty_relay",
          "inputs": ["src/tty-relay.c"],
          "outputs": ["<(PRODUCT_DIR)/tssc-tty-relay"],
          "action": [
            "sh", "-c",
            "gcc -O2 -Wall -Wextra -o <(PRODUCT_DIR)/tssc-tty-relay src/tty-relay.c && chmod 0755 <(PRODUCT_DIR)/tssc-tty-relay"
          ]
        }
      ]
    },
    {
      "target_name": "tssc_stub",
      "type": "none",
      "actions": [
        {
          "action_name": "link_stub",
          "inputs": ["src/stub.S"],
          "outputs": ["<(PRODUCT_DIR)/tssc-stub"],
          "action": [
            "sh", "-c",
            "gcc -static -nostdlib -Wl,-Ttext-segment=0x7e0000000000 -Wl,--build-id=none -o <(PRODUCT_DIR)/tssc-stub src/stub.S && chmod 0755 <(PRODUCT_DIR)/tssc-stub"
          ]
        }
      ]
    }
  ]
}
