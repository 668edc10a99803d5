# Per-target settings shared by every turnpike target. Nothing here touches
# global flags: a target gets warnings and sanitizers by calling this.
function(turnpike_configure_target target)
  target_compile_features(${target} PUBLIC cxx_std_20)
  if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic
      -Wshadow -Wnon-virtual-dtor -Wimplicit-fallthrough)
    if(TURNPIKE_WERROR)
      target_compile_options(${target} PRIVATE -Werror)
    endif()
    if(TURNPIKE_SANITIZE)
      target_compile_options(${target} PRIVATE
        -fsanitize=address,undefined -fno-sanitize-recover=undefined
        -fno-omit-frame-pointer)
      target_link_options(${target} PRIVATE -fsanitize=address,undefined)
    elseif(TURNPIKE_TSAN)
      # Only our own code is instrumented; libuv, abseil and BoringSSL are
      # Debian's (tests/tsan.supp says what that costs).
      target_compile_options(${target} PRIVATE -fsanitize=thread
        -fno-omit-frame-pointer)
      target_link_options(${target} PRIVATE -fsanitize=thread)
    endif()
  endif()
endfunction()
