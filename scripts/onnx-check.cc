// The official ONNX checker (libonnx from Debian's libonnx-dev, ONNX 1.12) run on exported files: the full model
// check, strict shape inference with data propagation, then the check again on the model with inferred shapes.
// ONNX 1.12 knows opsets up to 17 (IR version 8), so files exported with --opset 18 or more are beyond it.
//
//   g++ -std=c++17 -DONNX_NAMESPACE=onnx -DONNX_ML=1 scripts/onnx-check.cc -o onnx-check -lonnx -lonnx_proto -lprotobuf
//   ./onnx-check model.onnx [more.onnx ...]
#include <onnx/checker.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include <fstream>
#include <iostream>

int main(int argc, char** argv) {
  for (int i = 1; i < argc; i++) {
    std::ifstream in(argv[i], std::ios::binary);
    onnx::ModelProto model;
    if (!model.ParseFromIstream(&in)) {
      std::cerr << argv[i] << ": not an ONNX model (protobuf parse failed)\n";
      return 1;
    }
    try {
      onnx::checker::check_model(model);
      // check_type, strict mode, data propagation
      onnx::shape_inference::InferShapes(model, onnx::OpSchemaRegistry::Instance(), {1, 1, 1});
      onnx::checker::check_model(model);
    } catch (const std::exception& e) {
      std::cerr << argv[i] << ": " << e.what() << "\n";
      return 1;
    }
    std::cout << argv[i] << ": ok, IR " << model.ir_version() << ", opset " << model.opset_import(0).version() << ", "
              << model.graph().node_size() << " nodes\n";
  }
  return 0;
}
