# Checks that libgrpc exports grpc_inproc_channel_create under the C++
# symbol server/rpc/inproc.c binds (gRPC core 1.51, Debian 12), so a libgrpc
# without it fails here with a clear message instead of at link or run time.
include(CheckCSourceCompiles)
set(CMAKE_REQUIRED_LIBRARIES ${GRPC_LINK_LIBRARIES})
set(CMAKE_REQUIRED_INCLUDES ${GRPC_INCLUDE_DIRS})
check_c_source_compiles([=[
#include <grpc/grpc.h>
grpc_channel *f(grpc_server *, const grpc_channel_args *, void *)
    __asm__("_Z26grpc_inproc_channel_createP11grpc_serverPK17grpc_channel_argsPv");
int main(void) { return f(0, 0, 0) != 0; }
]=] INSPECT_HAVE_INPROC)
unset(CMAKE_REQUIRED_LIBRARIES)
unset(CMAKE_REQUIRED_INCLUDES)
if(NOT INSPECT_HAVE_INPROC)
  message(FATAL_ERROR "libgrpc does not export grpc_inproc_channel_create as gRPC core 1.51 "
    "does; the gRPC-Web listener (server/web/) relays through it")
endif()
