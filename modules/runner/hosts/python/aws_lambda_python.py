"""AWS Lambda's Python runtime as the local runner plays it: the handler setting
`<module path>.<function>` names a module under LAMBDA_TASK_ROOT (on sys.path) and a function
called with (event, context) per invocation; an exception is the invocation's error."""
import importlib
import os
import sys
import time
import uuid

import runner_host

ROOT = os.environ["LAMBDA_TASK_ROOT"]
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)


class LambdaContext:
    def __init__(self, request_id, timeout):
        self.aws_request_id = request_id
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.invoked_function_arn = None
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self._deadline = time.monotonic() + timeout

    def get_remaining_time_in_millis(self):
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def load():
    handler = runner_host.CONFIG["entry"]
    module_name, _, fn_name = handler.rpartition(".")
    if not module_name:
        raise ValueError(f"Bad handler '{handler}': not <module>.<function>")
    module = importlib.import_module(module_name.replace("/", "."))
    fn = getattr(module, fn_name, None)
    if not callable(fn):
        raise AttributeError(f"Handler '{fn_name}' missing on module '{module_name}'")
    return fn


try:
    HANDLER = load()
    runner_host.send({"type": "ready"})
except Exception as err:  # noqa: BLE001 - Runtime.ImportModuleError
    import traceback
    traceback.print_exc()
    HANDLER = None
    runner_host.send({"type": "ready", "error": {"type": "Runtime.ImportModuleError", "message": str(err)}})


def invoke(payload, msg):
    if HANDLER is None:
        raise RuntimeError("the handler did not load")
    return HANDLER(payload, LambdaContext(msg.get("id", str(uuid.uuid4())), runner_host.CONFIG["timeoutSeconds"]))


runner_host.serve(invoke)
