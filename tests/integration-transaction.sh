#!/bin/bash
# automake test: the same integration suite with pool_mode = transaction as the daemons' default
# (tests/integration.sh runs it in session mode), plus what only transaction pooling does.
export MYPOOL_TEST_POOL_MODE=transaction
exec "$(dirname "$0")/integration.sh" "$@"
