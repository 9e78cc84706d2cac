# Every dependency is a Debian 12 package (scripts/install-deps installs exactly these).
# A CUDA-enabled LibTorch is picked up instead of Debian's when CMAKE_PREFIX_PATH points at it
# (for example the one inside a PyTorch installation: torch.utils.cmake_prefix_path).

find_package(nlohmann_json 3.10 REQUIRED)
find_package(Threads REQUIRED)
# Command lines of every executable (header-only; optional only for scripts/gpu-check machines).
if(PANCAIM_ONLY_TORCH_COMPONENTS)
  find_package(CLI11 QUIET)
else()
  find_package(CLI11 REQUIRED)
endif()

find_package(Torch REQUIRED)
# TorchConfig adds its flags (the C++ ABI define) to TORCH_CXX_FLAGS; wrap them in one target so
# they travel with the library instead of polluting CMAKE_CXX_FLAGS.
add_library(pancaim_torch INTERFACE)
add_library(pancaim::torch ALIAS pancaim_torch)
target_link_libraries(pancaim_torch INTERFACE ${TORCH_LIBRARIES})
if(TORCH_CXX_FLAGS)
  separate_arguments(_pancaim_torch_flags UNIX_COMMAND "${TORCH_CXX_FLAGS}")
  target_compile_options(pancaim_torch INTERFACE ${_pancaim_torch_flags})
endif()
# Torch's headers are not ours: keep -Werror for our code without failing on theirs.
get_target_property(_torch_inc torch INTERFACE_INCLUDE_DIRECTORIES)
if(_torch_inc)
  target_include_directories(pancaim_torch SYSTEM INTERFACE ${_torch_inc})
endif()
set(PANCAIM_HAVE_CUDA OFF)
if(TARGET torch_cuda OR TORCH_CUDA_LIBRARIES OR CAFFE2_USE_CUDA)
  set(PANCAIM_HAVE_CUDA ON)
  target_compile_definitions(pancaim_torch INTERFACE PANCAIM_HAVE_CUDA=1)
endif()
message(STATUS "PANCAIM: LibTorch ${Torch_VERSION} (CUDA: ${PANCAIM_HAVE_CUDA})")

if(PANCAIM_BUILD_TESTS)
  find_package(GTest REQUIRED)
  include(GoogleTest)
endif()

if(NOT PANCAIM_ONLY_TORCH_COMPONENTS)
  find_package(OpenSSL 3.0 REQUIRED)
  find_package(Boost 1.74 REQUIRED COMPONENTS system)
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(OPENSLIDE REQUIRED IMPORTED_TARGET openslide)
  pkg_check_modules(HTSLIB REQUIRED IMPORTED_TARGET htslib)
  find_package(TIFF REQUIRED)
  find_package(ZLIB REQUIRED)
  # ITK is found by the components that use it (site-agent, scenarios), with only the modules they need.
endif()
