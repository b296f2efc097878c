#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# A real single-node Apache Kafka broker (KRaft, broker+controller in one
# JVM) for the tests, the demo and the benchmarks. The jars come from Maven
# Central through Maven and run on the machine's JDK (17+).
set -euo pipefail

usage() {
	cat <<'EOF'
usage: kafka.sh COMMAND [ARGS]

  fetch        download Kafka and its runtime jars with Maven into the cache
               (once; later calls only check the cache)
  start [--secure]
               fetch if needed, format storage if new, start the broker in
               the background, wait until it answers, create the xdpwatch
               topics; print the bootstrap address. Reuses a healthy broker
               that this script started earlier. Data are kept across
               stop/start. --secure (or XW_KAFKA_SECURE=1): the secured
               mode below; a data directory keeps the mode it was first
               started in (reset to change it).
  stop         SIGTERM, wait (XW_KAFKA_STOP_TIMEOUT s), then SIGKILL
  restart [--secure]
               stop, then start (same data)
  kill         SIGKILL the broker (crash; the next start recovers its logs)
  pause        SIGSTOP the broker: connections stay open, nothing answers
  resume       SIGCONT a paused broker
  status       running/paused/stopped, pid, RSS; exit 0 only when the
               broker process is running and its port accepts connections
  topics       list topics with partition counts and cleanup.policy
  bootstrap    print the bootstrap address (host:port)
  credentials USER [librdkafka|java]
               secured mode: USER's client properties, librdkafka's names
               (for a kafka { } group or --set kafka.K=V) or the Java
               clients' (for a tool's --command-config)
  acls         secured mode: list the broker's ACLs
  reset        stop and wipe the data directory
  tool NAME [ARGS]
               run one of the broker's own tools from the jars, with the
               broker's classpath and quiet logging. NAME is a class name or
               one of: topics, console-producer, console-consumer,
               consumer-groups, get-offsets, configs, api-versions,
               metadata-quorum, producer-perf, consumer-perf, dump-log,
               storage. Example:
                 kafka.sh tool console-producer --bootstrap-server \
                     "$(kafka.sh bootstrap)" --topic xdpwatch.alerts.v1

Topics created by start: xdpwatch.features.v1 (6 partitions),
xdpwatch.verdicts.v1 (1, cleanup.policy=compact), xdpwatch.alerts.v1 (3),
xdpwatch.rulestats.v1 (3).

Default mode: one PLAINTEXT listener on 127.0.0.1, no authentication, no
authorizer; anyone who reaches the port may do anything.

Secured mode (start --secure, or XW_KAFKA_SECURE=1 on a new data dir):
  - a CA and a broker certificate (CN=xdpwatch-broker, SAN 127.0.0.1 and
    localhost) made with openssl for this data directory, keys in
    DATA/tls (mode 0600); clients verify the broker with DATA/tls/ca.crt
  - the client port is a SASL_SSL listener: SCRAM-SHA-512, and PLAIN
    (inside TLS only) for librdkafka before 2.6.1, whose SCRAM Kafka 4
    refuses (Debian 12 ships 2.0.2; `credentials` picks for you); the
    controller port is SSL with client certificates required (only the
    broker's own certificate from that CA gets in)
  - users admin (super user), collector, detector, soc and reader, each
    with a random password in DATA/secrets/USER.password (0600), made at
    the first start; SCRAM credentials set at every start
  - StandardAuthorizer, allow.everyone.if.no.acl.found=false, and exactly
    these ACLs (any other ACL is deleted at start; all ALLOW, any host):
      collector  WRITE xdpwatch.features.v1, xdpwatch.rulestats.v1
                 READ  xdpwatch.verdicts.v1
                 DESCRIBE groups prefixed xdpwatch-reader- (librdkafka
                       wants a group.id even to assign, and looks up its
                       coordinator; the collector never joins or commits)
      detector   READ  xdpwatch.features.v1, groups prefixed
                       xdpwatch-detector
                 WRITE xdpwatch.verdicts.v1, xdpwatch.alerts.v1
      soc        WRITE xdpwatch.verdicts.v1
                 READ  xdpwatch.verdicts.v1 and groups prefixed
                       xdpwatch-reader- (`xdpwatch verdict list`)
      reader     READ  xdpwatch.features.v1, xdpwatch.alerts.v1,
                       xdpwatch.rulestats.v1 and groups prefixed
                       xdpwatch-reader- (`xdpwatch tail`)
    WRITE and READ imply DESCRIBE of the topic, and WRITE the idempotent
    producer's IDEMPOTENT_WRITE.
  Clients: `kafka.sh credentials collector` prints what goes into the
  collector's kafka { } group (security.protocol = SASL_SSL,
  sasl.mechanisms = SCRAM-SHA-512 or PLAIN, sasl.username, sasl.password,
  ssl.ca.location). Tools: kafka.sh tool topics --bootstrap-server
  "$(kafka.sh bootstrap)" --command-config <(kafka.sh credentials admin java) --list

Environment:
  XW_KAFKA_VERSION       Kafka version (default: 4.4.0, falling back to
                         4.1.0 then 4.0.0 if Maven cannot resolve it)
  XW_KAFKA_CACHE         jar cache (default /var/cache/xdpwatch/kafka-VERSION)
  XW_KAFKA_DATA          data, config, logs, pid (default /var/lib/xdpwatch/kafka)
  XW_KAFKA_PORT          client listener port on 127.0.0.1 (default 19092)
  XW_KAFKA_CONTROLLER_PORT  controller port (default: client port + 1)
  XW_KAFKA_HEAP          maximum heap (default 512m)
  XW_KAFKA_START_TIMEOUT seconds to wait for the broker (default 60)
  XW_KAFKA_STOP_TIMEOUT  seconds between SIGTERM and SIGKILL (default 30)
  XW_KAFKA_SECURE        1: start in the secured mode; 0: refuse a secured
                         data dir (unset: the mode the data dir has,
                         plaintext for a new one)
EOF
}

die() {
	echo "kafka.sh: $*" >&2
	exit 1
}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
default_versions=(4.4.0 4.1.0 4.0.0)
if [ -n "${XW_KAFKA_VERSION:-}" ]; then
	versions=("$XW_KAFKA_VERSION")
else
	versions=("${default_versions[@]}")
fi
data=${XW_KAFKA_DATA:-/var/lib/xdpwatch/kafka}
port=${XW_KAFKA_PORT:-19092}
cport=${XW_KAFKA_CONTROLLER_PORT:-$((port + 1))}
heap=${XW_KAFKA_HEAP:-512m}
start_timeout=${XW_KAFKA_START_TIMEOUT:-60}
stop_timeout=${XW_KAFKA_STOP_TIMEOUT:-30}
host=127.0.0.1
bootstrap="$host:$port"
pidfile="$data/kafka.pid"
conf="$data/server.properties"
tls="$data/tls"
secrets="$data/secrets"
users=(admin collector detector soc reader)
secure_req=${XW_KAFKA_SECURE:-}
topics=(
	"xdpwatch.features.v1:6"
	"xdpwatch.verdicts.v1:1:cleanup.policy=compact"
	"xdpwatch.alerts.v1:3"
	"xdpwatch.rulestats.v1:3"
)

cache_for() { echo "${XW_KAFKA_CACHE:-/var/cache/xdpwatch/kafka-$1}"; }

# The cache directory of the first candidate version already fetched, or
# nothing.
cached() {
	local v d
	for v in "${versions[@]}"; do
		d=$(cache_for "$v")
		if [ -f "$d/.complete" ] && [ "$(cat "$d/.complete")" = "$v" ]; then
			echo "$d"
			return 0
		fi
	done
	return 1
}

write_pom() { # DIR VERSION [LOG4J_VERSION]
	local extra=""
	if [ -n "${3:-}" ]; then
		# The slf4j 1.x binding (Kafka logs through slf4j-api 1.7), at the
		# log4j version Kafka itself pulls in.
		extra="<dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>$3</version></dependency>"
	fi
	cat >"$1/pom.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<!-- generated by xdpwatch scripts/kafka.sh: the broker's runtime jars -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>xdpwatch</groupId>
  <artifactId>kafka-runtime</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$2</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-server</artifactId><version>$2</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-storage</artifactId><version>$2</version></dependency>
    <dependency>
      <groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>$2</version>
      <!-- only the Connect plugin-path tool needs these (jetty, jersey, ...) -->
      <exclusions>
        <exclusion><groupId>org.apache.kafka</groupId><artifactId>connect-runtime</artifactId></exclusion>
      </exclusions>
    </dependency>
    $extra
  </dependencies>
</project>
EOF
}

fetch_version() { # VERSION DIR
	local v=$1 d=$2 tmp log4j
	tmp="$d.tmp.$$"
	rm -rf "$tmp"
	mkdir -p "$tmp"
	write_pom "$tmp" "$v"
	echo "kafka.sh: fetching Kafka $v from Maven Central" >&2
	if ! mvn -B -q -f "$tmp/pom.xml" dependency:copy-dependencies \
		-DincludeScope=runtime -DoutputDirectory="$tmp/lib" >"$tmp/mvn.log" 2>&1; then
		echo "kafka.sh: Maven could not resolve Kafka $v:" >&2
		grep -E '^\[ERROR\]' "$tmp/mvn.log" | head -5 >&2 || tail -5 "$tmp/mvn.log" >&2
		rm -rf "$tmp"
		return 1
	fi
	log4j=$(cd "$tmp/lib" && ls log4j-api-*.jar 2>/dev/null | sed -n 's/^log4j-api-\(.*\)\.jar$/\1/p' | head -1)
	[ -n "$log4j" ] || { echo "kafka.sh: no log4j-api among Kafka $v's jars" >&2; rm -rf "$tmp"; return 1; }
	write_pom "$tmp" "$v" "$log4j"
	if ! mvn -B -q -f "$tmp/pom.xml" dependency:copy-dependencies \
		-DincludeScope=runtime -DoutputDirectory="$tmp/lib" >"$tmp/mvn.log" 2>&1; then
		echo "kafka.sh: Maven could not resolve log4j-slf4j-impl $log4j:" >&2
		tail -5 "$tmp/mvn.log" >&2
		rm -rf "$tmp"
		return 1
	fi
	[ -f "$tmp/lib/kafka_2.13-$v.jar" ] || { echo "kafka.sh: kafka_2.13-$v.jar missing after Maven" >&2; rm -rf "$tmp"; return 1; }
	rm -rf "$d/lib" "$d/admin" "$d"/broker-*.jsa*
	mkdir -p "$d"
	mv "$tmp/lib" "$d/lib"
	mv "$tmp/pom.xml" "$d/pom.xml"
	rm -rf "$tmp"
	echo "$v" >"$d/.complete"
	echo "kafka.sh: Kafka $v: $(ls "$d/lib" | wc -l) jars in $d/lib" >&2
}

# Sets $cache (and $version) to a complete cache, fetching if needed.
ensure_fetched() {
	local v d
	command -v java >/dev/null || die "java not found (scripts/install-deps.sh installs a JRE)"
	if cache=$(cached); then
		version=$(cat "$cache/.complete")
		return 0
	fi
	command -v mvn >/dev/null || die "mvn not found (scripts/install-deps.sh installs maven)"
	d=$(dirname "$(cache_for "${versions[0]}")")
	mkdir -p "$d"
	# One fetch at a time; a caller that waited finds the cache filled.
	exec 8>"$d/.kafka-fetch.lock"
	flock -w 900 8 || die "timed out waiting for $d/.kafka-fetch.lock"
	if cache=$(cached); then
		version=$(cat "$cache/.complete")
		exec 8>&-
		return 0
	fi
	for v in "${versions[@]}"; do
		d=$(cache_for "$v")
		if fetch_version "$v" "$d"; then
			cache=$d
			version=$v
			exec 8>&-
			return 0
		fi
	done
	die "could not fetch Kafka (tried ${versions[*]})"
}

# Quiet logging for the tools and the helper: warnings to stderr. The
# helper (admin) also hides the client's "could not connect" warnings
# while it waits for a starting broker.
tools_log4j() { # tools|admin
	local f="$cache/$1-log4j2.properties"
	if [ ! -f "$f" ]; then
		{
			cat <<'EOF2'
status = error
appender.err.type = Console
appender.err.name = err
appender.err.target = SYSTEM_ERR
appender.err.layout.type = PatternLayout
appender.err.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = warn
rootLogger.appenderRef.err.ref = err
EOF2
			if [ "$1" = admin ]; then
				echo "logger.net.name = org.apache.kafka.clients.NetworkClient"
				echo "logger.net.level = error"
			fi
		} >"$f.tmp.$$"
		mv "$f.tmp.$$" "$f"
	fi
	echo "$f"
}

java_tool() { # CLASS ARGS...
	local cls=$1
	shift
	java -Xmx512m -Djava.awt.headless=true \
		-Dlog4j2.configurationFile="$(tools_log4j tools)" -cp "$cache/lib/*" "$cls" "$@"
}

# Compiles scripts/KafkaAdmin.java once per source version into the cache.
admin_helper() {
	local src="$here/KafkaAdmin.java" sum dir
	[ -f "$src" ] || die "missing $src"
	sum=$(sha256sum "$src" | cut -c1-16)
	dir="$cache/admin/$sum"
	if [ ! -f "$dir/KafkaAdmin.class" ]; then
		command -v javac >/dev/null || die "javac not found (a JDK is needed: scripts/install-deps.sh installs one)"
		rm -rf "$dir.tmp.$$"
		mkdir -p "$dir.tmp.$$"
		javac -nowarn -d "$dir.tmp.$$" -cp "$cache/lib/*" "$src" ||
			die "could not compile $src"
		# A concurrent caller may have won: keep its copy.
		mv -T "$dir.tmp.$$" "$dir" 2>/dev/null || rm -rf "$dir.tmp.$$"
	fi
	echo "$dir"
}

admin() { # ARGS...
	local dir
	dir=$(admin_helper) || exit 1
	java -Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
		-Dlog4j2.configurationFile="$(tools_log4j admin)" \
		-cp "$dir:$cache/lib/*" KafkaAdmin "$@"
}

# Pid of the broker this script started from $data, if it is alive.
broker_pid() {
	local pid
	[ -f "$pidfile" ] || return 1
	pid=$(cat "$pidfile")
	[ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
	tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "kafka\.Kafka $conf" || return 1
	echo "$pid"
}

port_open() { (exec 3<>"/dev/tcp/$host/$1") 2>/dev/null; }

proc_state() { awk '{print $3}' "/proc/$1/stat" 2>/dev/null; }

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null; }

running_port() { sed -n 's/^# xdpwatch port=\([0-9]*\).*/\1/p' "$conf" 2>/dev/null; }

# The running broker's address, or the one 'start' would use.
current_bootstrap() {
	local rp=""
	if broker_pid >/dev/null; then rp=$(running_port); fi
	echo "$host:${rp:-$port}"
}

log_tail() {
	echo "---- last lines of $data/server.log ----" >&2
	# Only this run's lines: from the last marker cmd_start wrote.
	if [ -f "$data/server.log" ]; then
		awk '/^---- kafka.sh: starting broker/ { n = 0 } { buf[n++ % 30] = $0 }
			END { for (i = (n > 30 ? n - 30 : 0); i < n; i++) print buf[i % 30] }' \
			"$data/server.log" >&2
	else
		echo "(none)" >&2
	fi
	if [ -s "$data/broker.out" ]; then
		echo "---- last lines of $data/broker.out ----" >&2
		tail -n 15 "$data/broker.out" >&2
	fi
}

# The mode a data directory was formatted in: "secure" or "plaintext"
# (data formatted before the secured mode existed has no marker).
data_mode() {
	if [ -f "$data/mode" ]; then
		cat "$data/mode"
	elif [ -f "$data/kraft/meta.properties" ]; then
		echo plaintext
	fi
}

# Sets $secure (0/1) for start: the request, checked against the data dir.
resolve_mode() {
	local have
	have=$(data_mode)
	case $secure_req in
	1 | 0) ;;
	"") if [ "$have" = secure ]; then secure_req=1; else secure_req=0; fi ;;
	*) die "XW_KAFKA_SECURE must be 0 or 1, not '$secure_req'" ;;
	esac
	secure=$secure_req
	local want=plaintext
	[ "$secure" = 1 ] && want=secure
	if [ -n "$have" ] && [ "$have" != "$want" ]; then
		die "$data was formatted in $have mode, not $want; use another XW_KAFKA_DATA or run: $0 reset"
	fi
}

is_secure() { [ "$(data_mode)" = secure ]; }

# A CA and a broker certificate signed by it, once per data directory.
# Private keys stay in $tls, 0600; the broker reads PEM files directly.
make_tls() {
	[ -s "$tls/broker.pem" ] && [ -s "$tls/ca.crt" ] && return 0
	command -v openssl >/dev/null || die "openssl not found (secured mode makes its certificates with it)"
	(
		umask 077
		rm -rf "$tls.tmp"
		mkdir -p "$tls.tmp"
		cd "$tls.tmp"
		openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 825 \
			-subj "/CN=xdpwatch kafka.sh CA $(date -u +%FT%TZ)" \
			-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
		openssl req -newkey rsa:2048 -nodes -keyout broker.key -out broker.csr -subj "/CN=xdpwatch-broker"
		printf '%s\n' "subjectAltName=IP:$host,DNS:localhost" "extendedKeyUsage=serverAuth,clientAuth" \
			"keyUsage=critical,digitalSignature,keyEncipherment" "basicConstraints=CA:FALSE" >broker.ext
		openssl x509 -req -in broker.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 825 \
			-extfile broker.ext -out broker.crt
		# Kafka's PEM key store: a PKCS#8 key, then the certificate chain.
		cat broker.key broker.crt ca.crt >broker.pem
		rm -f broker.csr broker.ext ca.srl
		chmod 0600 ca.key broker.key broker.pem
		chmod 0644 ca.crt broker.crt
	) >"$data/tls.log" 2>&1 || {
		cat "$data/tls.log" >&2
		die "could not make the certificates"
	}
	rm -rf "$tls"
	mv "$tls.tmp" "$tls"
	chmod 0700 "$tls"
}

# A random password per user, once per data directory.
make_secrets() {
	local u
	(umask 077 && mkdir -p "$secrets")
	chmod 0700 "$secrets"
	for u in "${users[@]}"; do
		if [ ! -s "$secrets/$u.password" ]; then
			(umask 077 && openssl rand -hex 24 >"$secrets/$u.password.tmp")
			mv "$secrets/$u.password.tmp" "$secrets/$u.password"
		fi
	done
	(umask 077 && client_props admin java >"$secrets/admin.properties")
}

password_of() { # USER
	[ -s "$secrets/$1.password" ] || die "no user '$1' (users: ${users[*]})"
	head -n 1 "$secrets/$1.password"
}

client_props() { # USER librdkafka|java
	local pw
	pw=$(password_of "$1")
	case ${2:-librdkafka} in
	librdkafka)
		printf '%s\n' "security.protocol=SASL_SSL" "sasl.mechanisms=$(rdkafka_mechanism)" \
			"sasl.username=$1" "sasl.password=$pw" "ssl.ca.location=$tls/ca.crt"
		;;
	java)
		printf '%s\n' "security.protocol=SASL_SSL" "sasl.mechanism=SCRAM-SHA-512" \
			"sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"$1\" password=\"$pw\";" \
			"ssl.truststore.type=PEM" "ssl.truststore.location=$tls/ca.crt"
		;;
	*) die "credentials: librdkafka or java, not '$2'" ;;
	esac
}

# PlainLoginModule's user_NAME="PASSWORD" list (and the broker's own login).
plain_users() {
	local u out
	out="username=\"admin\" password=\"$(password_of admin)\""
	for u in "${users[@]}"; do
		out+=" user_$u=\"$(password_of "$u")\""
	done
	echo "$out"
}

# The SASL mechanism for librdkafka clients: SCRAM-SHA-512 from librdkafka
# 2.6.1 on, PLAIN (inside TLS) before; XW_KAFKA_SASL_MECHANISM overrides.
rdkafka_mechanism() {
	local v
	if [ -n "${XW_KAFKA_SASL_MECHANISM:-}" ]; then
		echo "$XW_KAFKA_SASL_MECHANISM"
		return
	fi
	v=$(pkg-config --modversion rdkafka 2>/dev/null || dpkg-query -W -f '${Version}' librdkafka1 2>/dev/null || true)
	v=${v%%-*}
	if [ -n "$v" ] && [ "$(printf '%s\n' "$v" 2.6.1 | sort -V | head -n 1)" = 2.6.1 ]; then
		echo SCRAM-SHA-512
	else
		echo PLAIN
	fi
}

# The ACL table of the secured mode (see --help), as KafkaAdmin items.
acl_items() {
	local f=xdpwatch.features.v1 v=xdpwatch.verdicts.v1 a=xdpwatch.alerts.v1 r=xdpwatch.rulestats.v1
	local t
	for t in \
		"collector|WRITE|TOPIC|LITERAL|$f" \
		"collector|WRITE|TOPIC|LITERAL|$r" \
		"collector|READ|TOPIC|LITERAL|$v" \
		"collector|DESCRIBE|GROUP|PREFIXED|xdpwatch-reader-" \
		"detector|READ|TOPIC|LITERAL|$f" \
		"detector|READ|GROUP|PREFIXED|xdpwatch-detector" \
		"detector|WRITE|TOPIC|LITERAL|$v" \
		"detector|WRITE|TOPIC|LITERAL|$a" \
		"soc|WRITE|TOPIC|LITERAL|$v" \
		"soc|READ|TOPIC|LITERAL|$v" \
		"soc|READ|GROUP|PREFIXED|xdpwatch-reader-" \
		"reader|READ|TOPIC|LITERAL|$f" \
		"reader|READ|TOPIC|LITERAL|$a" \
		"reader|READ|TOPIC|LITERAL|$r" \
		"reader|READ|GROUP|PREFIXED|xdpwatch-reader-"; do
		echo "acl:User:$t"
	done
}

# KafkaAdmin's --config for this data dir's mode.
admin_config() {
	if is_secure; then
		printf '%s\n' --config "$secrets/admin.properties"
	fi
}

write_config() {
	local listeners
	mkdir -p "$data/kraft"
	if [ "$secure" = 1 ]; then
		listeners="listeners=SASL_SSL://$host:$port,CONTROLLER://$host:$cport
advertised.listeners=SASL_SSL://$host:$port
listener.security.protocol.map=SASL_SSL:SASL_SSL,CONTROLLER:SSL
controller.listener.names=CONTROLLER
inter.broker.listener.name=SASL_SSL
# Clients: SCRAM-SHA-512 over TLS. The broker's own connections to itself
# use the admin user; its connections to the controller use its
# certificate (SCRAM cannot serve the controller listener: the
# credentials live in the metadata the controller serves).
sasl.enabled.mechanisms=SCRAM-SHA-512,PLAIN
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"admin\" password=\"$(password_of admin)\";
# PLAIN, only ever inside TLS, for librdkafka before 2.6.1 (Debian 12 has
# 2.0.2): its SCRAM client repeats the client nonce in its final message,
# which Kafka 4 refuses (librdkafka PR 4895). Same users, same passwords.
listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required $(plain_users);
ssl.keystore.type=PEM
ssl.keystore.location=$tls/broker.pem
ssl.truststore.type=PEM
ssl.truststore.location=$tls/ca.crt
listener.name.controller.ssl.client.auth=required
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=User:admin;User:CN=xdpwatch-broker"
	else
		listeners="listeners=PLAINTEXT://$host:$port,CONTROLLER://$host:$cport
advertised.listeners=PLAINTEXT://$host:$port
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT"
	fi
	(umask 077 && : >"$conf.tmp")
	cat >"$conf.tmp" <<EOF
# xdpwatch port=$port cport=$cport (written by scripts/kafka.sh; rewritten on every start)
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$host:$cport
$listeners
log.dirs=$data/kraft
num.partitions=1
default.replication.factor=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
min.insync.replicas=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
# After a crash ('kill') the controller waits for the dead incarnation's
# session to expire before the new one may register: 4 s, not 9 s.
broker.heartbeat.interval.ms=1000
broker.session.timeout.ms=4000
log.retention.hours=24
log.segment.bytes=67108864
EOF
	mv "$conf.tmp" "$conf"
	# shutdownHook: without it log4j stops at SIGTERM, before the broker
	# has logged its own shutdown.
	cat >"$data/log4j2.properties" <<EOF
status = error
shutdownHook = disable
appender.f.type = RollingFile
appender.f.name = f
appender.f.fileName = $data/server.log
appender.f.filePattern = $data/server.log.%i
appender.f.layout.type = PatternLayout
appender.f.layout.pattern = [%d] %p %m (%c)%n
appender.f.policies.type = Policies
appender.f.policies.size.type = SizeBasedTriggeringPolicy
appender.f.policies.size.size = 20MB
appender.f.strategy.type = DefaultRolloverStrategy
appender.f.strategy.max = 2
rootLogger.level = info
rootLogger.appenderRef.f.ref = f
logger.state.name = state.change.logger
logger.state.level = warn
logger.request.name = kafka.request.logger
logger.request.level = warn
EOF
}

new_cluster_id() {
	# A Kafka Uuid: 16 random bytes, base64url without padding, not
	# starting with '-' (as Uuid.randomUuid()).
	local id
	while :; do
		id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
		case $id in -*) ;; *) echo "$id"; return ;; esac
	done
}

# Serialise start/stop/reset between concurrent callers.
lock() {
	mkdir -p "$data"
	exec 9>"$data/.lock"
	flock -w $((start_timeout + stop_timeout + 30)) 9 || die "timed out waiting for $data/.lock"
}

ensure_topics() { # PID
	local rc=0 extra=() cfg=() u
	if is_secure; then
		cfg=(--config "$secrets/admin.properties")
		for u in "${users[@]}"; do
			[ "$u" = admin ] || extra+=("scram:$u=$secrets/$u.password")
		done
		mapfile -t -O "${#extra[@]}" extra < <(acl_items)
	fi
	admin "${cfg[@]}" ensure "$bootstrap" "$start_timeout" "$1" "${topics[@]}" "${extra[@]}" >&2 || rc=$?
	return "$rc"
}

cmd_start() {
	local pid rc=0 rp
	ensure_fetched
	lock
	resolve_mode
	if pid=$(broker_pid); then
		rp=$(running_port)
		if [ -n "$rp" ] && [ "$rp" != "$port" ]; then
			die "a broker from $data is already running on port $rp (pid $pid); stop it first"
		fi
		if [ "$(proc_state "$pid")" = T ]; then kill -CONT "$pid"; fi
		if ensure_topics "$pid"; then
			echo "$bootstrap"
			return 0
		fi
		die "broker pid $pid from $data is running but not healthy; try: $0 restart"
	fi
	rm -f "$pidfile"
	for p in "$port" "$cport"; do
		port_open "$p" && die "port $p on $host is in use by another process (set XW_KAFKA_PORT)"
	done
	local scram=()
	if [ "$secure" = 1 ]; then
		# The logs and metadata (SCRAM salts and keys among them) are
		# root's alone.
		chmod 0700 "$data"
		make_tls
		make_secrets
		# The admin's credential must exist before the broker starts: it is
		# how the broker authenticates to itself. The others are set
		# through the Admin API once it is up.
		scram=(--add-scram "SCRAM-SHA-512=[name=admin,password=$(password_of admin)]")
	fi
	write_config
	if [ ! -f "$data/kraft/meta.properties" ]; then
		java_tool kafka.tools.StorageTool format -t "$(new_cluster_id)" -c "$conf" "${scram[@]}" \
			>"$data/format.log" 2>&1 || {
			cat "$data/format.log" >&2
			die "formatting $data/kraft failed"
		}
		if [ "$secure" = 1 ]; then echo secure >"$data/mode"; else echo plaintext >"$data/mode"; fi
	fi
	echo "---- kafka.sh: starting broker $(date -u +%FT%TZ) ----" >>"$data/server.log"
	# Class data sharing: the first broker run dumps the classes it loaded
	# at exit (a clean stop promotes the dump), later runs map them: the
	# broker is up about 2 s sooner.
	local jsa cds=()
	jsa=$(cds_archive)
	rm -f "$jsa.new"
	if [ -s "$jsa" ]; then
		cds=(-XX:SharedArchiveFile="$jsa")
	else
		cds=(-XX:ArchiveClassesAtExit="$jsa.new" -Xlog:cds=off -Xlog:cds+dynamic=off)
	fi
	# The broker gets no descriptor of ours (not the lock, nor a caller's
	# pipe that would then never see EOF) and its own session, so it
	# outlives the caller's process group; 'stop' ends it by pid. The
	# subshell and setsid exec, so $! is the JVM's pid.
	(
		for fd in /proc/$BASHPID/fd/*; do
			fd=${fd##*/}
			if [ "$fd" -gt 2 ]; then eval "exec $fd>&-"; fi
		done
		exec setsid java "${cds[@]}" -Xms64m -Xmx"$heap" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
			-XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
			-Dlog4j2.configurationFile="$data/log4j2.properties" \
			-cp "$cache/lib/*" kafka.Kafka "$conf"
	) >"$data/broker.out" 2>&1 </dev/null &
	pid=$!
	echo "$pid" >"$pidfile"
	ensure_topics "$pid" || rc=$?
	# An archive this JVM cannot use (another JDK build, other jars) is
	# dropped, so that the next run makes a new one.
	if grep -q 'Unable to use shared archive' "$data/broker.out" 2>/dev/null; then rm -f "$jsa"; fi
	if [ "$rc" -eq 0 ]; then
		echo "$bootstrap"
		return 0
	fi
	if [ "$rc" -eq 3 ]; then
		if [ -d "/proc/$pid" ] && [ "$(proc_state "$pid")" != Z ]; then
			echo "kafka.sh: broker did not come up at $bootstrap within ${start_timeout}s; stopping it" >&2
		else
			echo "kafka.sh: broker exited while starting" >&2
		fi
		log_tail
		stop_pid "$pid" >/dev/null 2>&1 || true
		rm -f "$pidfile"
		exit 1
	fi
	log_tail
	die "broker is up at $bootstrap but the topics could not be created (see above); it is left running"
}

# The broker's class-data-sharing archive, per JDK build, in the cache.
cds_archive() {
	echo "$cache/broker-$(java -version 2>&1 | sha256sum | cut -c1-12).jsa"
}

# After the broker exited: keep the archive a clean exit dumped (see
# cmd_start), drop a partial one.
promote_cds() { # clean|unclean
	local jsa
	cache=$(cached) || return 0
	for jsa in "$cache"/broker-*.jsa.new; do
		[ -e "$jsa" ] || continue
		if [ "$1" = clean ] && [ -s "$jsa" ]; then
			mv -f "$jsa" "${jsa%.new}"
		else
			rm -f "$jsa"
		fi
	done
}

# Returns 0 after a clean exit, 1 after SIGKILL.
stop_pid() { # PID
	local pid=$1 i
	if [ "$(proc_state "$pid")" = T ]; then kill -CONT "$pid" 2>/dev/null || true; fi
	kill -TERM "$pid" 2>/dev/null || return 0
	for ((i = 0; i < stop_timeout * 10; i++)); do
		[ -d "/proc/$pid" ] || return 0
		# A zombie (our own child, in 'start' failures) counts as gone.
		[ "$(proc_state "$pid")" = Z ] && return 0
		sleep 0.1
	done
	echo "kafka.sh: broker pid $pid still running after ${stop_timeout}s; SIGKILL" >&2
	kill -KILL "$pid" 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		[ -d "/proc/$pid" ] || break
		sleep 0.1
	done
	return 1
}

cmd_stop() {
	local pid
	lock
	if pid=$(broker_pid); then
		if stop_pid "$pid"; then
			promote_cds clean
		else
			promote_cds unclean
		fi
		echo "kafka.sh: stopped broker (pid $pid)" >&2
	else
		echo "kafka.sh: no broker running from $data" >&2
	fi
	rm -f "$pidfile"
}

cmd_kill() {
	local pid
	pid=$(broker_pid) || die "no broker running from $data"
	kill -KILL "$pid"
	while [ -d "/proc/$pid" ]; do sleep 0.05; done
	promote_cds unclean
	rm -f "$pidfile"
	echo "kafka.sh: killed broker (pid $pid)" >&2
}

cmd_signal() { # STOP|CONT
	local pid
	pid=$(broker_pid) || die "no broker running from $data"
	kill -"$1" "$pid"
	echo "kafka.sh: broker pid $pid $([ "$1" = STOP ] && echo paused || echo resumed)" >&2
}

cmd_status() {
	local pid state rp
	if ! pid=$(broker_pid); then
		echo "stopped (data $data)"
		return 3
	fi
	state=$(proc_state "$pid")
	rp=$(running_port)
	rp=${rp:-$port}
	if [ "$state" = T ]; then
		echo "paused pid=$pid bootstrap=$host:$rp rss=$(rss_kib "$pid")KiB data=$data"
		return 1
	fi
	if port_open "$rp"; then
		echo "running pid=$pid bootstrap=$host:$rp rss=$(rss_kib "$pid")KiB data=$data"
		return 0
	fi
	echo "starting pid=$pid bootstrap=$host:$rp (port not open yet) data=$data"
	return 1
}

cmd_reset() {
	cmd_stop
	# Keep the lock file itself; wipe everything else.
	find "$data" -mindepth 1 -maxdepth 1 ! -name .lock -exec rm -rf {} +
	echo "kafka.sh: wiped $data" >&2
}

tool_class() {
	case $1 in
	topics) echo org.apache.kafka.tools.TopicCommand ;;
	console-producer) echo org.apache.kafka.tools.ConsoleProducer ;;
	console-consumer) echo org.apache.kafka.tools.consumer.ConsoleConsumer ;;
	consumer-groups) echo org.apache.kafka.tools.consumer.group.ConsumerGroupCommand ;;
	get-offsets) echo org.apache.kafka.tools.GetOffsetShell ;;
	configs) echo org.apache.kafka.tools.ConfigCommand ;;
	api-versions) echo org.apache.kafka.tools.BrokerApiVersionsCommand ;;
	metadata-quorum) echo org.apache.kafka.tools.MetadataQuorumCommand ;;
	producer-perf) echo org.apache.kafka.tools.ProducerPerformance ;;
	consumer-perf) echo org.apache.kafka.tools.ConsumerPerformance ;;
	dump-log) echo org.apache.kafka.tools.DumpLogSegments ;;
	storage) echo kafka.tools.StorageTool ;;
	*.*) echo "$1" ;;
	*) die "unknown tool '$1' (see --help)" ;;
	esac
}

case ${1:-} in
-h | --help | help) usage ;;
fetch)
	ensure_fetched
	admin_helper >/dev/null
	echo "$cache"
	;;
start)
	[ "${2:-}" = --secure ] && secure_req=1
	cmd_start
	;;
stop) cmd_stop ;;
restart)
	[ "${2:-}" = --secure ] && secure_req=1
	cmd_stop
	exec 9>&-
	cmd_start
	;;
kill) cmd_kill ;;
pause) cmd_signal STOP ;;
resume) cmd_signal CONT ;;
status) cmd_status ;;
topics)
	ensure_fetched
	broker_pid >/dev/null || die "no broker running from $data (run: $0 start)"
	mapfile -t cfg < <(admin_config)
	admin "${cfg[@]}" list "$(current_bootstrap)"
	;;
acls)
	ensure_fetched
	is_secure || die "$data is not a secured broker's (start --secure)"
	broker_pid >/dev/null || die "no broker running from $data (run: $0 start)"
	admin --config "$secrets/admin.properties" acls "$(current_bootstrap)"
	;;
credentials)
	[ $# -ge 2 ] || die "usage: kafka.sh credentials USER [librdkafka|java]"
	is_secure || die "$data is not a secured broker's (start --secure)"
	client_props "$2" "${3:-librdkafka}"
	;;
bootstrap) current_bootstrap ;;
reset) cmd_reset ;;
tool)
	[ $# -ge 2 ] || die "usage: kafka.sh tool NAME [ARGS]"
	ensure_fetched
	cls=$(tool_class "$2")
	shift 2
	java_tool "$cls" "$@"
	;;
"") usage >&2; exit 2 ;;
*) echo "kafka.sh: unknown command '$1'" >&2; usage >&2; exit 2 ;;
esac
