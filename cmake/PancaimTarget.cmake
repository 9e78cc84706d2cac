# Helpers that give every PANCAIM target the same flags, set per target (never on CMAKE_CXX_FLAGS).

# pancaim_target_defaults(<target>): warnings (as errors for our own code when PANCAIM_WERROR),
# sanitizers when PANCAIM_SANITIZE.
function(pancaim_target_defaults target)
  # -Wno-restrict: GCC 12 false positive on `"literal" + std::string` (GCC bug 105329).
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wno-unused-parameter
                                           $<$<CXX_COMPILER_ID:GNU>:-Wno-restrict>)
  if(PANCAIM_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(PANCAIM_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer
                                             -fno-sanitize-recover=undefined)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()

# pancaim_library(<name> SOURCES ... [PUBLIC_LIBS ...] [PRIVATE_LIBS ...] [TORCH_PCH])
# Creates target pancaim_<name> with alias pancaim::<name>; public headers live in
# <component>/include/pancaim/<component>/.
function(pancaim_library name)
  cmake_parse_arguments(ARG "TORCH_PCH" "" "SOURCES;PUBLIC_LIBS;PRIVATE_LIBS" ${ARGN})
  add_library(pancaim_${name} STATIC ${ARG_SOURCES})
  add_library(pancaim::${name} ALIAS pancaim_${name})
  target_include_directories(pancaim_${name} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include)
  target_link_libraries(pancaim_${name} PUBLIC ${ARG_PUBLIC_LIBS} PRIVATE ${ARG_PRIVATE_LIBS})
  pancaim_target_defaults(pancaim_${name})
  if(ARG_TORCH_PCH)
    pancaim_torch_pch(pancaim_${name})
  endif()
endfunction()

# pancaim_executable(<name> SOURCES ... LIBS ...): a thin main; lands in build/bin/<name>.
function(pancaim_executable name)
  cmake_parse_arguments(ARG "TORCH_PCH" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS})
  pancaim_target_defaults(${name})
  if(ARG_TORCH_PCH)
    pancaim_torch_pch(${name})
  endif()
endfunction()

# LibTorch's headers take most of the compile time; every Torch-using target precompiles them once.
function(pancaim_torch_pch target)
  if(PANCAIM_PCH)
    target_precompile_headers(${target} PRIVATE <torch/torch.h>)
  endif()
endfunction()

# pancaim_test(<name> SOURCES ... LIBS ... [LABELS unit|integration|slow|gpu] [TORCH_PCH])
# One GoogleTest executable, its tests discovered into ctest with the given labels.
function(pancaim_test name)
  cmake_parse_arguments(ARG "TORCH_PCH" "TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gtest GTest::gmock GTest::gtest_main)
  target_compile_definitions(${name} PRIVATE
    PANCAIM_SOURCE_DIR="${PROJECT_SOURCE_DIR}" PANCAIM_BINARY_DIR="${PROJECT_BINARY_DIR}")
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/tests)
  pancaim_target_defaults(${name})
  if(ARG_TORCH_PCH)
    pancaim_torch_pch(${name})
  endif()
  gtest_discover_tests(${name}
    PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT ${ARG_TIMEOUT}
    DISCOVERY_TIMEOUT 60)
endfunction()
