# DelayDesk: the two commands a newcomer needs (README.md).
#   make demo   set up .venv from the lock file and replay the bundled disruption through the embedded AWS
#   make serve  the same replay, then the order pages and every route live on http://127.0.0.1:8765
#   make test   set up .venv from the lock file and run the linters, the template checks, sam build and the tests
# Everything is installed from uv.lock (hashes checked, nothing resolved): a fresh machine gets
# exactly what was tested. `make lock` refreshes the lock deliberately; commit it on its own.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
UV     := $(BIN)/uv
STAMP  := $(VENV)/.synced-$(shell cat uv.lock requirements/uv.txt | cksum | cut -d' ' -f1)
# No telemetry from the SAM CLI or checkov: they run in CI and on merchants' machines.
export SAM_CLI_TELEMETRY := 0
# Packages the Lambda python3.12 runtime already provides: left out of the SharedLayer.
RUNTIME_PROVIDED := boto3 botocore s3transfer jmespath urllib3 python-dateutil six

# Serve the bundled scenario live on http://127.0.0.1:8765 (PORT=… for another port).
PORT ?= 8765

.PHONY: demo serve test lint template build build-size lock layer-requirements venv clean

venv: $(STAMP)

$(STAMP): uv.lock requirements/uv.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "DelayDesk needs Python 3.11 or newer (found %s); set PYTHON=python3.x" % sys.version.split()[0])'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip --isolated install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements/uv.txt
	$(UV) sync --locked --all-extras --python $(BIN)/python --quiet
	@rm -f $(VENV)/.synced-*
	@touch $@

demo: $(STAMP)
	$(BIN)/delaydesk demo --outbox outbox

serve: $(STAMP)
	$(BIN)/delaydesk serve scenarios/spring_festival_2020.json --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The template as AWS will see it: SAM's own validation, cfn-lint with the serverless rules,
# checkov (0 failed: every skip carries its reason next to the resource) and `sam build`.
template: $(STAMP)
	$(BIN)/cfn-lint template.yaml --append-rules infra/cfn_rules cfn_lint_serverless.rules
	$(BIN)/sam validate --lint --template template.yaml --region us-east-1
	$(BIN)/checkov --quiet --compact --skip-download --framework cloudformation --file template.yaml
	$(MAKE) build

build: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/sam build --template template.yaml

build-size: build
	$(BIN)/python benchmarks/build_size.py

# pytest exits 5 when it collects no test: that must fail, not pass quietly. -n auto: one worker
# per core (pytest-xdist); every test builds its own embedded AWS, so they run side by side.
# --dist loadgroup: the tests of a module that share a module-scoped fixture (a replay, a server,
# a build) form one group, run on one worker, so the fixture is built once (tests/conftest.py;
# `worksteal` split such modules and built it on both). Groups go first, largest first, then the
# other tests one by one in collection order (end to end first): a worker takes more whenever it
# has two or fewer left, so no long replay ends alone while the other worker waits.
test: lint template
	$(BIN)/python -m pytest -n auto --dist loadgroup --durations=15; status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi; exit $$status

# Deliberate refresh of every lock: uv.lock (runtime, local and dev extras), the hashed uv pin
# that bootstraps it, and the SharedLayer's requirements (the runtime part of uv.lock, less what
# the Lambda runtime provides). Commit the result on its own.
lock: $(STAMP)
	$(UV) lock --upgrade
	echo "uv==$$($(UV) --version | cut -d' ' -f2)" | $(UV) pip compile --quiet --generate-hashes --universal --no-header - -o requirements/uv.txt
	$(MAKE) layer-requirements

layer-requirements: $(STAMP)
	$(UV) export --frozen --quiet --no-dev --no-emit-project --format requirements-txt \
		$(foreach p,$(RUNTIME_PROVIDED),--no-emit-package $(p)) -o shared/requirements.txt

clean:
	rm -rf $(VENV) outbox demo-logs.jsonl .mypy_cache .ruff_cache .pytest_cache .hypothesis .aws-sam
