{
  "targets": [
    {
      "target_name": "viaguard",
      "sources": [
        "<!@(find native -name '*.cc' -not -path 'native/test/*' -not -path 'native/fuzz/*' | sort)"
      ],
      "include_dirs": [
        "<!@(node -p \"require('node-addon-api').include\")",
        "native"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_CPP_EXCEPTIONS",
        "_FORTIFY_SOURCE=2"
      ],
      "cflags!": ["-fno-exceptions", "-O2", "-O0"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-std=gnu++20", "-O2", "-O0"],
      "cflags": ["-O3", "-Wall", "-Wextra", "-fstack-protector-strong", "-fPIC"],
      "cflags_cc": ["-std=c++17", "-O3", "-Wall", "-Wextra", "-Wno-unused-parameter", "-fstack-protector-strong"],
      "ldflags": ["-Wl,-z,relro", "-Wl,-z,now", "-Wl,-z,noexecstack"]
    }
  ]
}
