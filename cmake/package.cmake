# cmake/package.cmake - `cmake --install` rules and the Debian package
# (CPack DEB): inspectd, inspectctl and the offline tool it runs, the
# systemd unit, the settings file, the user's sysusers entry and the
# province nginx configuration as an example.
#
#   cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DINSPECT_TESTS=OFF -DINSPECT_BENCH=OFF
#   cmake --build build-release -j2 && (cd build-release && cpack -G DEB)
#   apt-get install ./build-release/inspectd_0.1.0_amd64.deb
#
# The package's dependencies come from the shared libraries the binaries
# link (dpkg-shlibdeps), not from a hand-kept list.
include(GNUInstallDirs)

install(TARGETS inspectd inspectctl inspectctl-backup RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${CMAKE_SOURCE_DIR}/deploy/systemd/inspectd.service
        DESTINATION lib/systemd/system)
install(FILES ${CMAKE_SOURCE_DIR}/deploy/debian/sysusers.conf
        DESTINATION lib/sysusers.d RENAME inspectd.conf)
# /etc is absolute: the settings file is the package's conffile.
install(FILES ${CMAKE_SOURCE_DIR}/deploy/etc/inspectd.conf DESTINATION /etc/inspectd)
install(FILES ${CMAKE_SOURCE_DIR}/deploy/nginx/inspectd.conf
        DESTINATION ${CMAKE_INSTALL_DATADIR}/inspectd/nginx)
install(FILES ${CMAKE_SOURCE_DIR}/README.md ${CMAKE_SOURCE_DIR}/docs/DESIGN.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR})

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME inspectd)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "inspectd maintainers <inspectd@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "gRPC server for joint site inspections of a district licensing bureau")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT) # inspectd_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "systemd")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${CMAKE_SOURCE_DIR}/deploy/debian/conffiles ${CMAKE_SOURCE_DIR}/deploy/debian/postinst
    ${CMAKE_SOURCE_DIR}/deploy/debian/prerm ${CMAKE_SOURCE_DIR}/deploy/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
