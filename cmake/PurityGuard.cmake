# The core's purity rule as a CTest test: scripts/check_core_purity.sh fails
# when anything under core/ reads a clock, touches sockets, files or threads,
# uses ambient randomness or includes libuv (see DESIGN.md).
function(turnpike_add_purity_test)
  add_test(NAME core_purity
    COMMAND bash ${PROJECT_SOURCE_DIR}/scripts/check_core_purity.sh
            ${PROJECT_SOURCE_DIR}/core)
  set_tests_properties(core_purity PROPERTIES TIMEOUT 60)
endfunction()
