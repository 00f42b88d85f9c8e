# Packaging (cli/packaging/README.md): the pkg-config file of the SDK, the gateway's systemd unit,
# and CPack's Debian packages `ploke-sim` (component ploke_cli: the binary, its data, the unit)
# and `ploke-sim-dev` (component ploke_sdk: headers, static libraries, CMake package, .pc).
#   cpack -G DEB --config <build>/CPackConfig.cmake   (in the build tree; needs dpkg-dev)
include_guard(GLOBAL)

# ploke_install_with_prefix(TEMPLATE DEST COMPONENT): installs TEMPLATE (a cli/packaging/*.in) into
# <prefix>/DEST with @PLOKE_PREFIX@ replaced by the prefix of the install itself, so the file
# is right for `cmake --install --prefix P` and for the .deb (/usr) alike. The other @VARS@
# are substituted now.
function(ploke_install_with_prefix template dest component)
  get_filename_component(name ${template} NAME_WLE)
  set(PLOKE_PREFIX "@PLOKE_PREFIX@")  # kept for install time
  set(stage1 ${PROJECT_BINARY_DIR}/packaging/${name}.in)
  set(out ${PROJECT_BINARY_DIR}/packaging/${name})
  configure_file(${template} ${stage1} @ONLY)
  install(CODE "set(PLOKE_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
    configure_file(\"${stage1}\" \"${out}\" @ONLY)
    file(INSTALL DESTINATION \"\${CMAKE_INSTALL_PREFIX}/${dest}\" TYPE FILE FILES \"${out}\")"
    COMPONENT ${component})
endfunction()

# ---- pkg-config: ploke-sim.pc beside the CMake package (same libraries, link order for a
# static link; the archives reference each other, hence the group).
set(PLOKE_PC_LIBS "")
foreach(lib simulator dashboard_page adapters adapters_openai adapters_openrouter adapters_anthropic
            net codec catalog plugins json core)
  string(APPEND PLOKE_PC_LIBS " -lploke_${lib}")
endforeach()
string(STRIP "${PLOKE_PC_LIBS}" PLOKE_PC_LIBS)
set(CMAKE_DL_LIBS_FLAG "")
if(CMAKE_DL_LIBS)
  set(CMAKE_DL_LIBS_FLAG "-l${CMAKE_DL_LIBS}")
endif()
ploke_install_with_prefix(${PROJECT_SOURCE_DIR}/cli/packaging/ploke-sim.pc.in ${CMAKE_INSTALL_LIBDIR}/pkgconfig ploke_sdk)

# ---- systemd: the gateway's unit (Type=notify; the binary notifies when built with libsystemd).
ploke_install_with_prefix(${PROJECT_SOURCE_DIR}/cli/packaging/ploke-sim-gateway.service.in lib/systemd/system ploke_cli)

# ---- CPack: Debian packages.
set(PLOKE_PACKAGE_MAINTAINER "ploke-sim maintainers <maintainers@ploke-sim.invalid>"
  CACHE STRING "Maintainer field of the Debian packages")
set(CPACK_PACKAGE_NAME ploke-sim)
set(CPACK_PACKAGE_VENDOR "ploke-sim")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_GENERATOR DEB)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL ploke_cli ploke_sdk)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${PLOKE_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_STRIP_FILES ON)  # the binary without debug info (static archives keep their symbols)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)  # Depends from the binary's shared libraries (dpkg-shlibdeps)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS OFF)
set(CPACK_DEBIAN_PLOKE_CLI_PACKAGE_NAME ploke-sim)
# Descriptions: the first line is the package's summary.
set(CPACK_COMPONENT_PLOKE_CLI_DESCRIPTION
"LLM provider layer and fault-injecting simulator, with a gateway
ploke-sim simulates OpenAI, Anthropic and OpenRouter with scheduled faults (429 storms,
outages, cut streams), runs resilience scenarios in virtual time, records and replays
cassettes, judges an application's LLM client under faults, and serves an
OpenAI/Anthropic-compatible gateway (systemd unit ploke-sim-gateway.service).")
set(CPACK_DEBIAN_PLOKE_SDK_PACKAGE_NAME ploke-sim-dev)
# The SDK's static libraries need these at link time; the data (contract suites, cassettes)
# comes from ploke-sim (the -dev package does not ship a second copy: cmake/PlokeDebStrip.cmake).
set(CPACK_DEBIAN_PLOKE_SDK_PACKAGE_DEPENDS
  "ploke-sim (= ${PROJECT_VERSION}), libssl-dev, libevent-dev, libyaml-cpp-dev, nlohmann-json3-dev, libcpp-httplib-dev, libhttp-parser-dev, pkg-config")
set(CPACK_COMPONENT_PLOKE_SDK_DESCRIPTION
"ploke-sim adapter SDK (headers, static libraries, CMake and pkg-config files)
Headers, static libraries, CMake package and pkg-config file of the ploke-sim adapter SDK:
build provider adapters against ploke-sim's core (find_package(ploke_sim CONFIG) or
pkg-config ploke-sim) and test them with the in-process simulator and contract runner.")
set(CPACK_PRE_BUILD_SCRIPTS ${PROJECT_SOURCE_DIR}/cmake/PlokeDebStrip.cmake)
include(CPack)
cpack_add_component(ploke_cli DISPLAY_NAME "ploke-sim" DESCRIPTION "${CPACK_COMPONENT_PLOKE_CLI_DESCRIPTION}")
cpack_add_component(ploke_sdk DISPLAY_NAME "ploke-sim-dev" DESCRIPTION "${CPACK_COMPONENT_PLOKE_SDK_DESCRIPTION}")
