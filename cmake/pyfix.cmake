# Moves protoc's Python output out of the way of Python's own modules: the
# proto paths inspect/... and grpc/... would shadow the standard library's
# `inspect` and the grpcio package. Files land under inspect_pb/ and
# grpc_pb/, with their imports rewritten. Run with -DRAW= -DOUT=.
file(REMOVE_RECURSE "${OUT}/inspect_pb" "${OUT}/grpc_pb")
file(GLOB_RECURSE files RELATIVE "${RAW}" "${RAW}/*_pb2.py")
foreach(f ${files})
  file(READ "${RAW}/${f}" text)
  string(REGEX REPLACE "from inspect\\." "from inspect_pb." text "${text}")
  string(REGEX REPLACE "from grpc\\." "from grpc_pb." text "${text}")
  string(REGEX REPLACE "^inspect/" "inspect_pb/" dest "${f}")
  string(REGEX REPLACE "^grpc/" "grpc_pb/" dest "${dest}")
  file(WRITE "${OUT}/${dest}" "${text}")
endforeach()
