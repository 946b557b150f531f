#!/bin/sh
# A stand-in for the crypto data lakehouse workflow of the seed document (fetch -> transform -> store): for every
# symbol it simulates one exchange API request, a transformation and an S3 write, and pushes the metrics the real
# pipeline would record to tally, one `tally push -` per iteration. Durations, record counts and errors come from
# a seeded pseudo-random generator, so a run with the same options pushes the same lines.
#
#   crypto-pipeline.sh --socket /run/tally/push.sock              # forever, one iteration a second (a demo)
#   crypto-pipeline.sh --iterations 30 --delay 0.2 --print        # print the lines instead of pushing them
#
# It exits non-zero as soon as tally refuses a line or cannot be reached (tally push's message is on stderr).
# shellcheck disable=SC2086 # lists are split into words on purpose, with file name globbing off
set -eu
set -f

usage() {
	cat <<'EOF'
usage: crypto-pipeline.sh [options]

  --socket PATH          tally's push socket (default: $TALLY_PUSH_SOCKET, else tally push's default)
  --tally PATH           the tally binary (default: $TALLY, else tally on $PATH)
  --iterations N         iterations to run; 0 runs until interrupted (default: 0)
  --delay SECONDS        pause between iterations; fractions need a sleep(1) that takes them (default: 1)
  --symbols LIST         comma-separated trading pairs (default: BTCUSDT,ETHUSDT,SOLUSDT)
  --timeframes LIST      comma-separated candle timeframes, used in turn (default: 1m,5m,1h)
  --error-percent P      chance in percent that an API request or a storage write fails (default: 5)
  --seed N               seed of the pseudo-random generator (default: 1)
  --print                write the lines to standard output instead of pushing them
  -h, --help             show this help
EOF
}

fail() {
	echo "crypto-pipeline.sh: $*" >&2
	exit 2
}

require_count() {
	case $2 in
	'' | *[!0-9]*) fail "$1 needs a whole number, not '$2'" ;;
	esac
}

socket=${TALLY_PUSH_SOCKET:-}
tally=${TALLY:-tally}
iterations=0
delay=1
symbols=BTCUSDT,ETHUSDT,SOLUSDT
timeframes=1m,5m,1h
error_percent=5
seed=1
print_only=false

while [ $# -gt 0 ]; do
	case $1 in
	--socket | --tally | --iterations | --delay | --symbols | --timeframes | --error-percent | --seed)
		[ $# -ge 2 ] || fail "$1 needs a value"
		option=$1
		value=$2
		shift 2
		case $option in
		--socket) socket=$value ;;
		--tally) tally=$value ;;
		--iterations) require_count "$option" "$value" && iterations=$value ;;
		--delay)
			case $value in
			'' | . | *[!0-9.]* | *.*.*) fail "--delay needs a number of seconds, not '$value'" ;;
			esac
			delay=$value
			;;
		--symbols) symbols=$value ;;
		--timeframes) timeframes=$value ;;
		--error-percent) require_count "$option" "$value" && error_percent=$value ;;
		--seed) require_count "$option" "$value" && seed=$value ;;
		esac
		;;
	--print)
		print_only=true
		shift
		;;
	-h | --help)
		usage
		exit 0
		;;
	*)
		usage >&2
		fail "unknown argument '$1'"
		;;
	esac
done

[ "$error_percent" -le 100 ] || fail "--error-percent must be at most 100"
symbols=$(printf '%s' "$symbols" | tr ',' ' ')
timeframes=$(printf '%s' "$timeframes" | tr ',' ' ')
[ -n "$symbols" ] || fail "--symbols is empty"
[ -n "$timeframes" ] || fail "--timeframes is empty"
if [ "$print_only" = false ] && ! command -v "$tally" >/dev/null 2>&1; then
	fail "cannot find the tally binary '$tally' (use --tally PATH)"
fi

# A linear congruential generator (the constants of the C standard's example rand()); `random N` leaves a number
# in [0, N) in $drawn. Shell arithmetic is at least 64 bits wide in dash, bash and busybox, enough for the product.
state=$((seed % 2147483648))
random() {
	state=$(((state * 1103515245 + 12345) % 2147483648))
	drawn=$(((state / 65536) % $1))
}

# Sets $picked to the element of a space-separated list at a zero-based index, taken modulo the list's length.
pick() {
	position=$1
	list=$2
	set -- $list
	position=$((position % $#))
	for picked in $list; do
		[ "$position" -eq 0 ] && return 0
		position=$((position - 1))
	done
}

lines=''
emit() {
	lines="$lines$1
"
}

push_lines() {
	if [ "$print_only" = true ]; then
		printf '%s' "$lines"
	elif [ -n "$socket" ]; then
		printf '%s' "$lines" | "$tally" push --socket "$socket" -
	else
		printf '%s' "$lines" | "$tally" push -
	fi
	lines=''
}

# Batches fetched but not stored yet, as symbol:records:bytes:timeframe:data_type words; their number is the
# queue size, which is pushed as a change (an UpDownCounter in the seed).
backlog=''
symbol_count=$(set -- $symbols && echo $#)

iteration=0
while [ "$iteration" -lt "$iterations" ] || [ "$iterations" -eq 0 ]; do
	pick "$iteration" "$timeframes" && timeframe=$picked
	if [ $((iteration % 2)) -eq 0 ]; then
		data_type=klines
		endpoint=/api/v3/klines
	else
		data_type=agg_trades
		endpoint=/api/v3/aggTrades
	fi
	enqueued=0

	for symbol in $symbols; do
		# Fetch: one API request, timed; a failed one records its error type and leaves nothing to process.
		random 100
		if [ "$drawn" -lt "$error_percent" ]; then
			random 3
			pick "$drawn" "TimeoutError ClientResponseError ConnectionResetError" && error_type=$picked
			random 2000 && request_ms=$((1000 + drawn))
			emit "crypto_api_requests_total:1|c|#endpoint:$endpoint,status:error,symbol:$symbol"
			emit "crypto_api_request_duration_seconds:$request_ms|ms|#endpoint:$endpoint,status:error,symbol:$symbol"
			emit "crypto_api_errors_total:1|c|#operation:data_fetch,error_type:$error_type,symbol:$symbol"
			emit "crypto_processing_duration_seconds:$((request_ms + 2))|ms|#operation:data_fetch,stage:fetch,status:error,symbol:$symbol"
			continue
		fi
		random 400 && request_ms=$((30 + drawn))
		random 500 && records=$((500 + drawn))
		emit "crypto_api_requests_total:1|c|#endpoint:$endpoint,status:success,symbol:$symbol"
		emit "crypto_api_request_duration_seconds:$request_ms|ms|#endpoint:$endpoint,status:success,symbol:$symbol"
		emit "crypto_processing_duration_seconds:$((request_ms + 3))|ms|#operation:data_fetch,stage:fetch,status:success,symbol:$symbol"
		emit "crypto_data_processed_total:$records|c|#symbol:$symbol,stage:fetch,data_type:$data_type,timeframe:$timeframe"

		# Transform: validation drops a few records; what is left is queued for storage.
		random 10 && kept=$((records - drawn))
		random 150 && transform_ms=$((5 + drawn))
		emit "crypto_processing_duration_seconds:$transform_ms|ms|#operation:data_transform,stage:transform,status:success,symbol:$symbol"
		emit "crypto_data_processed_total:$kept|c|#symbol:$symbol,stage:transform,data_type:$data_type,timeframe:$timeframe"
		random 40 && record_bytes=$((90 + drawn))
		backlog="$backlog $symbol:$kept:$((kept * record_bytes)):$timeframe:$data_type"
		enqueued=$((enqueued + 1))
	done

	# Store: the writer drains up to twice the symbol count per iteration, oldest first; a failed write stays
	# queued for the next iteration, so the queue grows and shrinks as it would in the real pipeline.
	random $((2 * symbol_count + 1)) && capacity=$drawn
	drained=0
	retained=''
	for batch in $backlog; do
		if [ "$capacity" -eq 0 ]; then
			retained="$retained $batch"
			continue
		fi
		capacity=$((capacity - 1))
		old_ifs=$IFS
		IFS=:
		set -- $batch
		IFS=$old_ifs
		symbol=$1 kept=$2 bytes=$3 batch_timeframe=$4 batch_type=$5
		random 250 && store_ms=$((20 + drawn))
		random 100
		if [ "$drawn" -lt "$error_percent" ]; then
			emit "crypto_storage_operations_total:1|c|#operation:s3_put,status:error,storage_type:s3,symbol:$symbol"
			emit "crypto_processing_duration_seconds:$store_ms|ms|#operation:data_store,stage:store,status:error,symbol:$symbol"
			emit "crypto_api_errors_total:1|c|#operation:data_store,error_type:ClientError,symbol:$symbol"
			retained="$retained $batch"
			continue
		fi
		emit "crypto_storage_operations_total:1|c|#operation:s3_put,status:success,storage_type:s3,symbol:$symbol"
		emit "crypto_processing_duration_seconds:$store_ms|ms|#operation:data_store,stage:store,status:success,symbol:$symbol"
		emit "crypto_data_processed_total:$kept|c|#symbol:$symbol,stage:store,data_type:$batch_type,timeframe:$batch_timeframe"
		emit "crypto_data_volume_bytes:$bytes|c|#symbol:$symbol,timeframe:$batch_timeframe"
		drained=$((drained + 1))
	done
	backlog=$retained

	change=$((enqueued - drained))
	if [ "$change" -ge 0 ]; then
		emit "crypto_processing_queue_size:+$change|g"
	else
		emit "crypto_processing_queue_size:$change|g"
	fi
	push_lines

	iteration=$((iteration + 1))
	if [ "$iteration" -lt "$iterations" ] || [ "$iterations" -eq 0 ]; then
		sleep "$delay"
	fi
done
