{
  "targets": [
    {
      "target_name": "kapu_native",
      "sources": ["src/addon.cc", "src/nfqueue.cc", "src/af_packet.cc", "src/raw_sender.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags_cc": ["-O2", "-Wall", "-Wextra", "-std=c++17"],
      "libraries": ["-lnetfilter_queue", "-lnfnetlink"]
    }
  ]
}
