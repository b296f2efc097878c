# BpfObject.cmake - compile a BPF C source and wrap it in a libbpf skeleton.
#
#   bpf_object(<name> <source.bpf.c> [headers...])
#
# produces <name>.bpf.o and <name>.skel.h in the build tree and an INTERFACE
# library <name>_skel that user space links to get the skeleton's include
# path. Listing the shared headers makes the skeleton rebuild when a layout
# changes. vmlinux.h is generated once from the running kernel's BTF.

find_program(BPF_CLANG NAMES clang REQUIRED)
find_program(BPFTOOL NAMES bpftool PATHS /usr/sbin /sbin REQUIRED)

set(XW_VMLINUX_DIR ${CMAKE_BINARY_DIR}/vmlinux)
set(XW_VMLINUX_BTF /sys/kernel/btf/vmlinux CACHE FILEPATH
    "kernel BTF that vmlinux.h is generated from")
add_custom_command(
  OUTPUT ${XW_VMLINUX_DIR}/vmlinux.h
  COMMAND ${CMAKE_COMMAND} -E make_directory ${XW_VMLINUX_DIR}
  COMMAND ${BPFTOOL} btf dump file ${XW_VMLINUX_BTF} format c
          > ${XW_VMLINUX_DIR}/vmlinux.h
  COMMENT "Generating vmlinux.h from ${XW_VMLINUX_BTF}"
  VERBATIM)
add_custom_target(vmlinux_h DEPENDS ${XW_VMLINUX_DIR}/vmlinux.h)

if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
  set(XW_BPF_ARCH x86)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64|arm64")
  set(XW_BPF_ARCH arm64)
else()
  set(XW_BPF_ARCH ${CMAKE_SYSTEM_PROCESSOR})
endif()

function(bpf_object name src)
  set(obj ${CMAKE_CURRENT_BINARY_DIR}/${name}.bpf.o)
  set(skel ${CMAKE_CURRENT_BINARY_DIR}/${name}.skel.h)
  get_filename_component(src_abs ${src} ABSOLUTE)
  get_filename_component(src_dir ${src_abs} DIRECTORY)
  set(deps ${src_abs} ${XW_VMLINUX_DIR}/vmlinux.h)
  foreach(h ${ARGN})
    get_filename_component(h_abs ${h} ABSOLUTE)
    list(APPEND deps ${h_abs})
  endforeach()
  set(werror "")
  if(XW_WERROR)
    set(werror -Werror)
  endif()
  add_custom_command(
    OUTPUT ${obj}
    COMMAND ${BPF_CLANG} -g -O2 -target bpf -D__TARGET_ARCH_${XW_BPF_ARCH}
            -Wall -Wextra -Wno-unused-parameter ${werror}
            -I${XW_VMLINUX_DIR} -I${src_dir} -I${CMAKE_SOURCE_DIR}/bpf
            -c ${src_abs} -o ${obj}
    DEPENDS ${deps}
    COMMENT "BPF ${name}: ${src}"
    VERBATIM)
  add_custom_command(
    OUTPUT ${skel}
    COMMAND ${BPFTOOL} gen skeleton ${obj} name ${name} > ${skel}
    DEPENDS ${obj}
    COMMENT "BPF skeleton ${name}.skel.h"
    VERBATIM)
  add_custom_target(${name}_skel_gen DEPENDS ${skel})
  # vmlinux.h is made by a rule of the top directory: Ninja sees it from
  # here, Makefiles only through a target-level dependency.
  add_dependencies(${name}_skel_gen vmlinux_h)
  add_library(${name}_skel INTERFACE)
  add_dependencies(${name}_skel ${name}_skel_gen)
  target_include_directories(${name}_skel INTERFACE ${CMAKE_CURRENT_BINARY_DIR})
  set_property(GLOBAL PROPERTY ${name}_BPF_OBJECT ${obj})
endfunction()
