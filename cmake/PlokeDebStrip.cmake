# CPack pre-build script (cmake/PlokePackaging.cmake): the ploke_sdk component installs the
# contract suites and cassettes too (so that `cmake --install --component ploke_sdk` alone is a
# complete SDK), but in the Debian packages they belong to ploke-sim only (ploke-sim-dev
# depends on it): two packages may not own the same file.
file(GLOB_RECURSE _dirs LIST_DIRECTORIES true "${CPACK_TEMPORARY_DIRECTORY}/ploke_sdk/*")
set(_sdk_data "")
foreach(d ${_dirs})
  if(IS_DIRECTORY "${d}" AND d MATCHES "/share/ploke-sim$")
    list(APPEND _sdk_data "${d}")
  endif()
endforeach()
message(STATUS "ploke-sim-dev: data left to ploke-sim: ${_sdk_data}")
if(_sdk_data)
  file(REMOVE_RECURSE ${_sdk_data})
endif()
