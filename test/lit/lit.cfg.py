import os
import lit.formats

config.name = "kiln"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".mlir", ".kiln", ".test"]
config.excludes = ["Inputs", "CMakeLists.txt", "lit.cfg.py"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.kiln_obj_root, "test", "lit")

config.environment["PATH"] = os.pathsep.join(
    [config.kiln_tools_dir, config.llvm_tools_dir, config.environment.get("PATH", "")])
config.substitutions.append(("%kiln_src", config.kiln_src_root))
config.substitutions.append(("%examples", os.path.join(config.kiln_src_root, "examples")))
config.substitutions.append(("%python", config.python))
config.substitutions.append(("%kiln_version", config.kiln_version))

# ONNX import tests write their graphs with Debian's python3-onnx.
import subprocess
if subprocess.run([config.python, "-c", "import onnx, numpy"],
                  capture_output=True).returncode == 0:
    config.available_features.add("onnx")
