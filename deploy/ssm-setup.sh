#!/usr/bin/env bash
# Creates the SSM Parameter Store layout Pilotfish reads (deploy/ssm-parameters.md) for one ECS cluster and task
# family, with the AWS CLI (v1 or v2). Run it again at will: parameters that already hold the wanted value are left
# alone, the others are overwritten.
#
#   DD_API_KEY=... deploy/ssm-setup.sh --cluster prod --family shop --site datadoghq.eu --env prod \
#       --tags team:payments,tier:1 --config shop.properties
#   deploy/ssm-setup.sh --cluster prod --family shop < key.txt        # the key on standard input
#   deploy/ssm-setup.sh --cluster prod --family cart --keep-key       # the key is already stored
#
# The API key never goes on the command line (arguments show in `ps`): it comes from DD_API_KEY or standard input
# (prompted for, unechoed, at a terminal). The AWS CLI's own environment decides where the parameters go:
# AWS_PROFILE, AWS_REGION / AWS_DEFAULT_REGION, AWS_ENDPOINT_URL(_SSM), credentials.
set -euo pipefail

readonly KEY_PARAMETER=/pilotfish/secrets/dd-api-key
# SSM's limit for a standard-tier value; larger values need the paid advanced tier, which this script does not buy.
readonly MAX_VALUE_BYTES=4096

me=ssm-setup
usage() {
  cat <<'EOF'
Usage: deploy/ssm-setup.sh --cluster NAME --family NAME [options]  (the API key on stdin or in DD_API_KEY)

Writes, for the tasks of one ECS cluster and task family:
  /pilotfish/secrets/dd-api-key             SecureString  the Datadog API key (from DD_API_KEY or stdin)
  /pilotfish/defaults/datadog/api-key-from  String        ssm:/pilotfish/secrets/dd-api-key
  /pilotfish/defaults/datadog/site          String        --site
  /pilotfish/CLUSTER/env                    String        --env
  /pilotfish/CLUSTER/FAMILY/tags            StringList    --tags
  /pilotfish/CLUSTER/FAMILY/config          String        --config (a properties document)

Options:
  --cluster NAME   the cluster's short name (prod, not its ARN)                    required
  --family NAME    the task definition family                                      required
  --site SITE      Datadog site, e.g. datadoghq.eu (account-wide; the agent's default is datadoghq.com)
  --env ENV        the env tag of every task in the cluster
  --tags TAGS      global tags of the family's tasks: team:payments,tier:1 (commas or spaces)
  --config FILE    a properties file of pilotfish.* keys for the family (pilotfish.x=y per line)
  --key-id KEY     KMS key of the SecureString (default: the existing key's, else alias/aws/ssm)
  --keep-key       do not read or write the API key: it is already stored (another family ran this)
  -h, --help       this text

Environment: DD_API_KEY (else the key is read from stdin), and the AWS CLI's own: AWS_PROFILE, AWS_REGION,
AWS_DEFAULT_REGION, AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_SSM, credentials. Needs ssm:GetParameters,
ssm:PutParameter and ssm:DescribeParameters on these names, and the use of the KMS key through SSM.
EOF
}

# Input errors exit 2, with the option and the fix; AWS failures exit 1.
fail() {
  echo "$me: $*" >&2
  exit 2
}

cluster="" family="" site="" env_tag="" tags="" config_file="" key_id="" keep_key=false
have_site=false have_env=false have_tags=false have_config=false
while (($#)); do
  option=$1
  value=""
  case $option in
    --*=*) value=${option#*=}; option=${option%%=*}; set -- "$option" "$value" "${@:2}" ;;
  esac
  case $option in
    -h|--help) usage; exit 0 ;;
    --keep-key) keep_key=true; shift; continue ;;
    --api-key|--dd-api-key|--key)
      fail "$option: the API key is never an argument (arguments show in ps); pipe it on stdin or set DD_API_KEY" ;;
    --cluster|--family|--site|--env|--tags|--config|--key-id)
      (($# >= 2)) || fail "$option needs a value; see --help"
      value=$2
      shift 2 ;;
    *) fail "unknown option '$option'; see --help" ;;
  esac
  case $option in
    --cluster) cluster=$value ;;
    --family) family=$value ;;
    --site) site=$value; have_site=true ;;
    --env) env_tag=$value; have_env=true ;;
    --tags) tags=$value; have_tags=true ;;
    --config) config_file=$value; have_config=true ;;
    --key-id) key_id=$value; [[ -n $key_id ]] || fail "--key-id is empty; give a KMS key id, ARN or alias/NAME, or leave it out" ;;
  esac
done

# ECS allows letters, digits, '-' and '_' in cluster and family names; SSM path segments accept all of them.
check_name() {
  local option=$1 what=$2 value=$3
  [[ -n $value ]] || fail "$option is required: the $what, e.g. $option $( [[ $what == cluster* ]] && echo prod || echo shop)"
  if [[ $value == arn:* ]]; then
    fail "$option '$value' is an ARN; give the short name after the last '/', e.g. $option ${value##*/}"
  fi
  if [[ ! $value =~ ^[A-Za-z0-9_-]{1,255}$ ]]; then
    fail "$option '$value': an ECS $what has only letters, digits, '-' and '_' (at most 255), as SSM parameter paths need"
  fi
}
check_name --cluster "cluster name" "$cluster"
check_name --family "task family" "$family"
case $cluster in
  defaults|secrets)
    fail "--cluster '$cluster' would put the cluster's path on /pilotfish/$cluster, which the layout already uses; rename the cluster or set pilotfish.ssm.paths" ;;
esac

if $have_site; then
  site=${site,,}
  if [[ -z $site ]]; then
    fail "--site is empty; give the Datadog site's host name, e.g. --site datadoghq.eu, or leave it out"
  elif [[ $site == *://* || $site == */* ]]; then
    fail "--site '$site': give the site's host name only, e.g. datadoghq.eu, without https:// or a path"
  elif [[ $site == api.* || $site == app.* ]]; then
    fail "--site '$site': give the site without the app./api. prefix, e.g. ${site#*.}"
  elif ((${#site} > 253)) || [[ ! $site =~ ^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$ ]]; then
    fail "--site '$site': expected a Datadog site such as datadoghq.com, us3.datadoghq.com, datadoghq.eu, ap1.datadoghq.com or ddog-gov.com"
  fi
fi

if $have_env && [[ -z $env_tag || $env_tag =~ [[:space:],] ]]; then
  fail "--env '$env_tag': give one tag value without spaces or commas, e.g. --env prod"
fi

if $have_tags; then
  # The agent takes DD_TAGS-style lists (commas or spaces); SSM's StringList wants commas.
  read -r -a tag_list <<<"${tags//,/ }"
  ((${#tag_list[@]} > 0)) || fail "--tags is empty; give tags such as --tags team:payments,tier:1, or leave it out"
  tags=$(IFS=,; echo "${tag_list[*]}")
  ((${#tags} <= MAX_VALUE_BYTES)) || fail "--tags is longer than SSM's $MAX_VALUE_BYTES characters"
fi

config=""
if $have_config; then
  [[ -n $config_file ]] || fail "--config is empty; give a properties file of pilotfish.* keys"
  [[ -f $config_file && -r $config_file ]] || fail "--config '$config_file': no such readable file"
  config=$(<"$config_file")      # drops the trailing newlines, as the stored value and its read-back compare
  config=${config//$'\r'/}
  [[ -n ${config//[[:space:]]/} ]] || fail "--config '$config_file' is empty; put pilotfish.key=value lines in it"
  (($(printf '%s' "$config" | wc -c) <= MAX_VALUE_BYTES)) ||
    fail "--config '$config_file' is larger than SSM's $MAX_VALUE_BYTES bytes; split it into single parameters under /pilotfish/$cluster/$family"
  stripped=${config//[$'\n\t']/}
  [[ $stripped != *[[:cntrl:]]* ]] || fail "--config '$config_file' holds control characters; save it as plain text"
  # The agent's rules for a document (runtime/config-ssm): key=value or key: value, '#' or '!' comments, keys
  # under pilotfish. Lines are named by number only: one may hold a secret.
  line_no=0 keys=0
  doc_key='^[][A-Za-z0-9_.-]+$'
  while IFS= read -r line || [[ -n $line ]]; do
    line_no=$((line_no + 1))
    line=${line#"${line%%[![:space:]]*}"}
    [[ -z $line || $line == '#'* || $line == '!'* ]] && continue
    key=${line%%[=:]*}
    key=${key%"${key##*[![:space:]]}"}
    if [[ $key == "$line" || -z $key || ! $key =~ $doc_key ]]; then
      fail "--config '$config_file' line $line_no: expected pilotfish.key=value ('#' starts a comment)"
    elif [[ $key != pilotfish.* ]]; then
      fail "--config '$config_file' line $line_no: the key must start with pilotfish."
    elif [[ $key == *api-key ]]; then
      fail "--config '$config_file' line $line_no: $key in a plain String document would store the key unencrypted; give the key on stdin or in DD_API_KEY instead"
    fi
    keys=$((keys + 1))
  done <<<"$config"
fi

if $keep_key && [[ -n $key_id ]]; then
  fail "--key-id changes the stored key's encryption, which --keep-key leaves alone; give one of them"
fi

# Before the key is asked for: a missing CLI or region is found without typing it first.
command -v aws >/dev/null 2>&1 || {
  echo "$me: the AWS CLI ('aws') is not on PATH; install it (https://aws.amazon.com/cli/ or pip install awscli)" >&2
  exit 1
}
# The CLI v1 reads only AWS_DEFAULT_REGION; v2 (and the SDKs) let AWS_REGION win over it. Do as v2 does for both.
if [[ -n ${AWS_REGION:-} ]]; then
  export AWS_DEFAULT_REGION=$AWS_REGION
fi
export AWS_PAGER=""   # v2 would page output otherwise
region=${AWS_DEFAULT_REGION:-$(aws configure get region 2>/dev/null || true)}
if [[ -z $region ]]; then
  echo "$me: no AWS region: set AWS_REGION (or a region in your AWS profile) to the region of the tasks" >&2
  exit 1
fi

api_key=""
if ! $keep_key; then
  if [[ -n ${DD_API_KEY+set} ]]; then
    api_key=$DD_API_KEY
    [[ -n ${api_key//[[:space:]]/} ]] || fail "DD_API_KEY is set but empty; set it to the Datadog API key, or unset it and give the key on stdin (or --keep-key)"
  else
    if [[ -t 0 ]]; then
      printf 'Datadog API key (not echoed): ' >&2
      IFS= read -r -s api_key || true
      echo >&2
    else
      IFS= read -r api_key || true
    fi
    [[ -n ${api_key//[[:space:]]/} ]] || fail "no API key: pipe it on stdin or set DD_API_KEY (or give --keep-key when it is already stored)"
  fi
  api_key=${api_key//$'\r'/}
  api_key=${api_key#"${api_key%%[![:space:]]*}"}
  api_key=${api_key%"${api_key##*[![:space:]]}"}
  if [[ $api_key =~ [[:space:][:cntrl:]] ]]; then
    fail "the API key holds spaces or control characters; give only the key"
  fi
  ((${#api_key} <= MAX_VALUE_BYTES)) || fail "the API key is longer than SSM's $MAX_VALUE_BYTES characters; give only the key"
  if [[ ! $api_key =~ ^[0-9a-fA-F]{32}$ ]]; then
    echo "$me: warning: the API key is not 32 hexadecimal characters, as Datadog API keys are; storing it anyway" >&2
  fi
fi

umask 077
workdir=$(mktemp -d "${TMPDIR:-/tmp}/pilotfish-ssm-setup.XXXXXX")
trap 'rm -rf "$workdir"' EXIT

# A JSON string; control characters other than tab and newline were refused above.
json_string() {
  local s=$1
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//$'\n'/\\n}
  s=${s//$'\t'/\\t}
  printf '"%s"' "$s"
}

# Runs the AWS CLI; on failure prints its error (with the key masked) under what was being done, and exits 1.
aws_or_fail() {
  local doing=$1; shift
  local out err
  if ! out=$(aws "$@" 2>"$workdir/err"); then
    err=$(<"$workdir/err")
    [[ -z $api_key ]] || err=${err//"$api_key"/****}
    err=${err#"${err%%[![:space:]]*}"}
    echo "$me: $doing failed: ${err:-the AWS CLI exited with an error}" >&2
    exit 1
  fi
  printf '%s' "$out"
}

# ensure NAME TYPE VALUE SHOWN: writes the parameter unless it already holds VALUE with TYPE (and, for a
# SecureString, the KMS key asked for), and prints what it did. SHOWN is what the output says instead of the value.
ensure() {
  local name=$1 type=$2 value=$3 shown=$4
  local current current_type current_value action keyid="" current_keyid="" version
  # Values are passed in a file, never as arguments: arguments show in ps, and the CLI v1 would fetch a value
  # that starts with http:// or file://.
  current=$(aws_or_fail "reading $name" ssm get-parameters --names "$name" --with-decryption \
    --query 'Parameters[0].[Type,Value]' --output text)
  if [[ $current == None ]]; then
    action=created
  else
    current_type=${current%%$'\t'*}
    current_value=${current#*$'\t'}
    if [[ $current_type != "$type" ]]; then
      action="updated (was $current_type)"
    elif [[ $current_value != "$value" ]]; then
      action=updated
    else
      action=unchanged
    fi
  fi
  if [[ $type == SecureString ]]; then
    if [[ $current != None ]]; then
      current_keyid=$(aws_or_fail "reading the KMS key of $name" ssm describe-parameters \
        --parameter-filters "Key=Name,Option=Equals,Values=$name" --query 'Parameters[0].KeyId' --output text)
      [[ $current_keyid != None ]] || current_keyid=""
    fi
    keyid=${key_id:-${current_keyid:-alias/aws/ssm}}
    if [[ $action == unchanged && -n $current_keyid && $keyid != "$current_keyid" ]]; then
      action="updated (KMS key was $current_keyid)"
    fi
    shown="$shown, KMS key $keyid"
  fi
  if [[ $action != unchanged ]]; then
    {
      printf '{"Name":%s,"Type":%s,"Value":%s' "$(json_string "$name")" "$(json_string "$type")" "$(json_string "$value")"
      [[ -z $keyid ]] || printf ',"KeyId":%s' "$(json_string "$keyid")"
      printf ',"Overwrite":true}'
    } >"$workdir/put.json"
    version=$(aws_or_fail "writing $name" ssm put-parameter --cli-input-json "file://$workdir/put.json" \
      --query Version --output text)
    rm -f "$workdir/put.json"
    action="$action, version $version"
  fi
  printf '%-44s %-12s %s  [%s]\n' "$name" "$type" "$shown" "$action"
}

endpoint=${AWS_ENDPOINT_URL_SSM:-${AWS_ENDPOINT_URL:-}}
echo "$me: SSM parameters for cluster $cluster, family $family in $region${AWS_PROFILE:+ (profile $AWS_PROFILE)}${endpoint:+ at $endpoint}"
if $keep_key; then
  stored=$(aws_or_fail "looking for $KEY_PARAMETER" ssm describe-parameters \
    --parameter-filters "Key=Name,Option=Equals,Values=$KEY_PARAMETER" --query 'Parameters[0].Type' --output text)
  if [[ $stored != SecureString ]]; then
    echo "$me: --keep-key, but $KEY_PARAMETER is $( [[ $stored == None ]] && echo 'not there' || echo "a $stored, not a SecureString"); run once without --keep-key, with the key on stdin or in DD_API_KEY" >&2
    exit 1
  fi
  printf '%-44s %-12s %s  [%s]\n' "$KEY_PARAMETER" SecureString "(value not shown)" "kept"
else
  ensure "$KEY_PARAMETER" SecureString "$api_key" "(value not shown)"
fi
ensure /pilotfish/defaults/datadog/api-key-from String "ssm:$KEY_PARAMETER" "ssm:$KEY_PARAMETER"
if $have_site; then
  ensure /pilotfish/defaults/datadog/site String "$site" "$site"
fi
if $have_env; then
  ensure "/pilotfish/$cluster/env" String "$env_tag" "$env_tag"
fi
if $have_tags; then
  ensure "/pilotfish/$cluster/$family/tags" StringList "$tags" "$tags"
fi
if $have_config; then
  ensure "/pilotfish/$cluster/$family/config" String "$config" "(properties document, $keys keys)"
fi
echo "$me: tasks of family $family in cluster $cluster read /pilotfish/defaults, /pilotfish/$cluster (one level) and /pilotfish/$cluster/$family; their task role needs deploy/task-role-policy.json with $cluster/$family in its ARNs"
