# Sourced by the tests that need an S3 server (s3_moto, s3_s3rver, serve_jssdk, migrating_doc);
# tests/cli/lib/ is not itself a test. Needs $w (the test's folder) and the array pids (killed at exit).

# find_python 'IMPORTS' [what]: PY becomes the first Python that runs the statement IMPORTS
# (BM_MOTO_PYTHON, python3, then the machine image's Python 3.11, which has moto, boto3 and awscli);
# none fails the test, saying what was looked for.
find_python() {
    PY=""
    local p
    for p in "${BM_MOTO_PYTHON:-}" python3 /root/.pyenv/versions/3.11.7/bin/python3; do
        [ -n "$p" ] && "$p" -c "$1" 2>/dev/null && { PY=$p; return 0; }
    done
    echo "FAIL: no Python that can: $1 (${2:-the Python 3.11 of the machine image can})"
    exit 1
}

# free_port: a free loopback port
free_port() {
    "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_moto VAR [env...]: moto's S3 server on a free loopback port, waited for (30 s at most);
# VAR gets its endpoint URL
start_moto() {
    local var=$1 port
    shift
    port=$(free_port)
    env "$@" "$PY" -m moto.server -H 127.0.0.1 -p "$port" >"$w/moto-$port.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 1 300); do
        curl -s -o /dev/null "http://127.0.0.1:$port/moto-api/" && break
        sleep 0.1
    done
    printf -v "$var" 'http://127.0.0.1:%s' "$port"
}
