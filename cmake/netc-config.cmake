# netc-config.cmake: find_package(netc) support, installed in
# PREFIX/lib/cmake/netc. Provides
#   NETC_EXECUTABLE                  the netc compiler installed with this file
#   netc::netrt                      imported target: libnetrt and its header
#   netc_add_network(TARGET SPEC [TRAINABLE] [FLAGS ...])
#       a static library TARGET holding the network compiled from SPEC (NAME.c;
#       its header NAME.h is on TARGET's public include path). With TRAINABLE,
#       TARGET also holds NAME_netrt.c, the descriptor `const NetrtModel
#       NAME_model` that libnetrt trains and loads weights through, and links
#       netc::netrt. FLAGS go to `netc build` (e.g. --unroll-limit 0). The C is
#       regenerated when SPEC (or netc) changes; NAME is the spec's network name.
cmake_minimum_required(VERSION 3.19)    # string(JSON)

get_filename_component(_netc_prefix "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)
set(NETC_EXECUTABLE "${_netc_prefix}/bin/netc" CACHE FILEPATH "the netc compiler")

if(NOT TARGET netc::netrt)
    add_library(netc::netrt STATIC IMPORTED)
    set_target_properties(netc::netrt PROPERTIES
        IMPORTED_LOCATION "${_netc_prefix}/lib/libnetrt.a"
        INTERFACE_INCLUDE_DIRECTORIES "${_netc_prefix}/include"
        INTERFACE_LINK_LIBRARIES "@NETRT_CMAKE_LIBS@")
endif()

function(netc_add_network target spec)
    cmake_parse_arguments(PARSE_ARGV 2 ARG "TRAINABLE" "" "FLAGS")
    get_filename_component(spec_abs "${spec}" ABSOLUTE)
    # The network's name decides the file names: ask netc, and configure again
    # when the spec changes (its name may have changed).
    execute_process(COMMAND "${NETC_EXECUTABLE}" inspect "${spec_abs}" --json
                    OUTPUT_VARIABLE json RESULT_VARIABLE rc ERROR_VARIABLE err)
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "netc_add_network(${target}): netc cannot compile ${spec}:\n${err}")
    endif()
    string(JSON name GET "${json}" network)
    string(JSON kind ERROR_VARIABLE no_kind GET "${json}" kind)
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${spec_abs}")

    set(out "${CMAKE_CURRENT_BINARY_DIR}/netc_${target}")
    set(files "${out}/${name}.c" "${out}/${name}.h")
    if(kind STREQUAL "scalar_graph")
        if(ARG_TRAINABLE)
            message(FATAL_ERROR "netc_add_network(${target}): ${spec} is a scalar graph; "
                                "it has no training descriptor (drop TRAINABLE)")
        endif()
    else()
        list(APPEND files "${out}/${name}_netrt.c")
    endif()
    add_custom_command(OUTPUT ${files}
        COMMAND "${NETC_EXECUTABLE}" build "${spec_abs}" -o "${out}" ${ARG_FLAGS}
        DEPENDS "${spec_abs}" "${NETC_EXECUTABLE}"
        COMMENT "netc build ${spec}"
        VERBATIM)
    add_library(${target} STATIC "${out}/${name}.c" "${out}/${name}.h")
    target_include_directories(${target} PUBLIC "${out}")
    find_library(NETC_LIBM m)
    if(NETC_LIBM)
        target_link_libraries(${target} PUBLIC "${NETC_LIBM}")
    endif()
    if(ARG_TRAINABLE)
        target_sources(${target} PRIVATE "${out}/${name}_netrt.c")
        target_link_libraries(${target} PUBLIC netc::netrt)
    endif()
endfunction()
