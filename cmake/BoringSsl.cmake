# BoringSSL from Debian's android-libboringssl-dev. Its headers live in
# /usr/include/android so that <openssl/...> resolves to BoringSSL rather than
# to OpenSSL; its libraries are outside the linker's default path, so targets
# that link them get a RUNPATH (CMake adds it for imported locations).
set(TURNPIKE_BORINGSSL_INCLUDE_DIR "/usr/include/android" CACHE PATH
    "Directory holding BoringSSL's openssl/ headers")
set(TURNPIKE_BORINGSSL_LIB_DIR "/usr/lib/${CMAKE_LIBRARY_ARCHITECTURE}/android"
    CACHE PATH "Directory holding BoringSSL's libcrypto.so and libssl.so")

find_library(TURNPIKE_BORINGSSL_CRYPTO crypto
  PATHS "${TURNPIKE_BORINGSSL_LIB_DIR}" NO_DEFAULT_PATH REQUIRED)
find_library(TURNPIKE_BORINGSSL_SSL ssl
  PATHS "${TURNPIKE_BORINGSSL_LIB_DIR}" NO_DEFAULT_PATH REQUIRED)
if(NOT EXISTS "${TURNPIKE_BORINGSSL_INCLUDE_DIR}/openssl/base.h")
  message(FATAL_ERROR "BoringSSL headers not found in "
    "${TURNPIKE_BORINGSSL_INCLUDE_DIR}: apt-get install android-libboringssl-dev")
endif()

add_library(boringssl::crypto SHARED IMPORTED)
set_target_properties(boringssl::crypto PROPERTIES
  IMPORTED_LOCATION "${TURNPIKE_BORINGSSL_CRYPTO}"
  IMPORTED_NO_SONAME OFF)
# BEFORE + non-SYSTEM so BoringSSL's headers win over /usr/include/openssl.
target_include_directories(boringssl::crypto BEFORE INTERFACE
  "${TURNPIKE_BORINGSSL_INCLUDE_DIR}")

add_library(boringssl::ssl SHARED IMPORTED)
set_target_properties(boringssl::ssl PROPERTIES
  IMPORTED_LOCATION "${TURNPIKE_BORINGSSL_SSL}")
target_link_libraries(boringssl::ssl INTERFACE boringssl::crypto)
