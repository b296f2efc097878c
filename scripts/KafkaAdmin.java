// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// Helper for scripts/kafka.sh: waits for the broker and creates or lists
// topics, SCRAM users and ACLs in one JVM (each of the broker's own CLI
// tools costs a JVM start, about 2 s here). kafka.sh compiles it once into
// its cache directory against the broker's jars; it is not meant to be run
// by hand.
//
//   KafkaAdmin [--config FILE] ensure BOOTSTRAP TIMEOUT_S PID ITEM ...
//       wait until the broker answers a metadata request (giving up when
//       TIMEOUT_S passes or process PID, if > 0, exits), then for each ITEM:
//         NAME:PARTITIONS[:KEY=VAL[,KEY=VAL]]
//             create the topic if missing; an existing topic is kept, and
//             one whose partition count differs is reported (exit 4)
//         scram:USER=PASSWORD_FILE
//             create or replace USER's SCRAM-SHA-512 credential with the
//             password in the file (its first line)
//         acl:PRINCIPAL|OPERATION|RESOURCE_TYPE|PATTERN_TYPE|NAME
//             an ALLOW ACL from any host, e.g.
//             acl:User:collector|WRITE|TOPIC|LITERAL|xdpwatch.features.v1
//       When any acl: item is given, the broker's ACLs become exactly
//       those: others are deleted (the broker script owns the ACL table).
//   KafkaAdmin [--config FILE] list BOOTSTRAP
//       one line per topic: name, partitions, cleanup.policy.
//   KafkaAdmin [--config FILE] acls BOOTSTRAP
//       one line per ACL, sorted by principal.
//
// --config FILE: client properties (security.protocol, sasl.jaas.config,
// ssl.truststore.location, ...) for a secured broker.
//
// Exit codes: 0 done, 2 usage, 3 broker not ready in time or gone, 4 a topic
// differs from its spec, 1 anything else.

import java.io.FileInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.admin.UserScramCredentialAlteration;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TopicExistsException;

public final class KafkaAdmin {
	private static final class Spec {
		String name;
		int partitions;
		Map<String, String> configs = new HashMap<>();
	}

	// Client properties from --config (a secured broker), else none.
	private static final Properties clientProps = new Properties();

	private static Admin admin(String bootstrap) {
		Properties p = new Properties();
		p.putAll(clientProps);
		p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
		p.put(AdminClientConfig.CLIENT_ID_CONFIG, "xdpwatch-kafka-sh");
		p.put(AdminClientConfig.RECONNECT_BACKOFF_MS_CONFIG, "50");
		p.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "250");
		p.put(AdminClientConfig.RETRY_BACKOFF_MS_CONFIG, "100");
		p.put(AdminClientConfig.RETRY_BACKOFF_MAX_MS_CONFIG, "250");
		p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
		p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "10000");
		return Admin.create(p);
	}

	private static final class User {
		String name;
		String password;
	}

	private static User parseUser(String s) throws Exception {
		String[] f = s.split("=", 2);
		if (f.length != 2 || f[0].isEmpty())
			throw new IllegalArgumentException("bad user spec 'scram:" + s + "' (scram:USER=PASSWORD_FILE)");
		User u = new User();
		u.name = f[0];
		String text = new String(Files.readAllBytes(Path.of(f[1])), StandardCharsets.UTF_8);
		u.password = text.split("\\R", 2)[0];
		if (u.password.isEmpty())
			throw new IllegalArgumentException("empty password in " + f[1]);
		return u;
	}

	private static AclBinding parseAcl(String s) {
		String[] f = s.split("\\|", -1);
		if (f.length != 5)
			throw new IllegalArgumentException("bad ACL spec 'acl:" + s
				+ "' (acl:PRINCIPAL|OPERATION|RESOURCE_TYPE|PATTERN_TYPE|NAME)");
		ResourcePattern r = new ResourcePattern(ResourceType.valueOf(f[2]), f[4], PatternType.valueOf(f[3]));
		return new AclBinding(r, new AccessControlEntry(f[0], "*", AclOperation.valueOf(f[1]),
			AclPermissionType.ALLOW));
	}

	private static String aclString(AclBinding b) {
		AccessControlEntry e = b.entry();
		ResourcePattern r = b.pattern();
		return String.format("%-16s %-5s %-16s %-5s %-8s %-8s %s", e.principal(), e.permissionType(),
			e.operation(), e.host(), r.resourceType(), r.patternType(), r.name());
	}

	private static Spec parse(String s) {
		String[] f = s.split(":", 3);
		if (f.length < 2)
			throw new IllegalArgumentException("bad topic spec '" + s + "' (NAME:PARTITIONS[:K=V,...])");
		Spec t = new Spec();
		t.name = f[0];
		t.partitions = Integer.parseInt(f[1]);
		if (f.length == 3 && !f[2].isEmpty()) {
			for (String kv : f[2].split(",")) {
				String[] e = kv.split("=", 2);
				if (e.length != 2)
					throw new IllegalArgumentException("bad config '" + kv + "' in '" + s + "'");
				t.configs.put(e[0], e[1]);
			}
		}
		return t;
	}

	private static boolean alive(long pid) {
		return pid <= 0 || ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
	}

	// Wait until the broker lists itself as a registered broker.
	private static void waitReady(Admin a, long deadline, long pid) throws Exception {
		Throwable last = null;
		while (System.nanoTime() < deadline) {
			if (!alive(pid))
				throw new IllegalStateException("broker process " + pid + " exited");
			try {
				Collection<Node> nodes = a.describeCluster(new DescribeClusterOptions().timeoutMs(2000))
					.nodes().get(3, TimeUnit.SECONDS);
				if (!nodes.isEmpty())
					return;
			} catch (Exception e) {
				last = e;
			}
			Thread.sleep(100);
		}
		throw new IllegalStateException("no answer to a metadata request in time"
			+ (last != null ? " (last error: " + rootMessage(last) + ")" : ""));
	}

	private static String rootMessage(Throwable e) {
		while (e.getCause() != null && e != e.getCause())
			e = e.getCause();
		return e.getClass().getSimpleName() + ": " + e.getMessage();
	}

	private static int ensure(String bootstrap, long timeoutS, long pid, List<Spec> specs, List<User> users,
			List<AclBinding> acls) throws Exception {
		long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutS);
		try (Admin a = admin(bootstrap)) {
			try {
				waitReady(a, deadline, pid);
			} catch (IllegalStateException e) {
				System.err.println("kafka-admin: broker at " + bootstrap + " not ready: " + e.getMessage());
				return 3;
			}
			List<Spec> pending = new ArrayList<>(specs);
			while (!pending.isEmpty()) {
				List<NewTopic> req = new ArrayList<>();
				for (Spec s : pending)
					req.add(new NewTopic(s.name, Optional.of(s.partitions), Optional.empty()).configs(s.configs));
				Map<String, org.apache.kafka.common.KafkaFuture<Void>> res = a.createTopics(req).values();
				List<Spec> retry = new ArrayList<>();
				for (Spec s : pending) {
					try {
						res.get(s.name).get();
						System.out.println("created " + s.name + " partitions=" + s.partitions
							+ (s.configs.isEmpty() ? "" : " " + s.configs));
					} catch (ExecutionException e) {
						if (e.getCause() instanceof TopicExistsException)
							continue;
						if (e.getCause() instanceof RetriableException && System.nanoTime() < deadline) {
							retry.add(s);
							continue;
						}
						throw e;
					}
				}
				pending = retry;
				if (!pending.isEmpty())
					Thread.sleep(200);
			}
			// Check what exists against the specs (a topic made earlier by
			// hand or by an older spec keeps its partition count).
			List<String> names = new ArrayList<>();
			for (Spec s : specs)
				names.add(s.name);
			Map<String, TopicDescription> d = a.describeTopics(names).allTopicNames().get();
			int rc = 0;
			for (Spec s : specs) {
				int n = d.get(s.name).partitions().size();
				if (n != s.partitions) {
					System.err.println("kafka-admin: topic " + s.name + " has " + n
						+ " partitions, spec says " + s.partitions + " (reset to recreate)");
					rc = 4;
				}
			}
			if (!users.isEmpty()) {
				List<UserScramCredentialAlteration> alt = new ArrayList<>();
				for (User u : users)
					alt.add(new UserScramCredentialUpsertion(u.name,
						new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192), u.password));
				a.alterUserScramCredentials(alt).all().get();
				System.out.println("SCRAM-SHA-512 credentials set for " + users.size() + " users");
			}
			if (!acls.isEmpty())
				syncAcls(a, acls);
			return rc;
		}
	}

	// The broker's ACLs become exactly `want`.
	private static void syncAcls(Admin a, List<AclBinding> want) throws Exception {
		Set<AclBinding> have = new HashSet<>(a.describeAcls(AclBindingFilter.ANY).values().get());
		Set<AclBinding> wanted = new HashSet<>(want);
		List<AclBindingFilter> stale = new ArrayList<>();
		for (AclBinding b : have)
			if (!wanted.contains(b))
				stale.add(b.toFilter());
		if (!stale.isEmpty()) {
			a.deleteAcls(stale).all().get();
			System.out.println("deleted " + stale.size() + " ACLs not in the table");
		}
		List<AclBinding> missing = new ArrayList<>();
		for (AclBinding b : wanted)
			if (!have.contains(b))
				missing.add(b);
		if (!missing.isEmpty()) {
			a.createAcls(missing).all().get();
			System.out.println("created " + missing.size() + " ACLs");
		}
	}

	private static int acls(String bootstrap) throws Exception {
		try (Admin a = admin(bootstrap)) {
			List<String> lines = new ArrayList<>();
			for (AclBinding b : a.describeAcls(AclBindingFilter.ANY).values().get())
				lines.add(aclString(b));
			lines.sort(null);
			System.out.printf("%-16s %-5s %-16s %-5s %-8s %-8s %s%n", "PRINCIPAL", "PERM", "OPERATION", "HOST",
				"RESOURCE", "PATTERN", "NAME");
			for (String l : lines)
				System.out.println(l);
			return 0;
		}
	}

	private static int list(String bootstrap) throws Exception {
		try (Admin a = admin(bootstrap)) {
			Collection<String> names = a.listTopics().names().get();
			Map<String, TopicDescription> d = new TreeMap<>(a.describeTopics(names).allTopicNames().get());
			List<ConfigResource> rs = new ArrayList<>();
			for (String n : d.keySet())
				rs.add(new ConfigResource(ConfigResource.Type.TOPIC, n));
			Map<ConfigResource, Config> cfg = a.describeConfigs(rs).all().get();
			for (TopicDescription t : d.values()) {
				Config c = cfg.get(new ConfigResource(ConfigResource.Type.TOPIC, t.name()));
				String policy = c != null && c.get("cleanup.policy") != null ? c.get("cleanup.policy").value() : "?";
				System.out.printf("%-28s partitions=%-3d cleanup.policy=%s%n", t.name(), t.partitions().size(), policy);
			}
			return 0;
		}
	}

	public static void main(String[] argv) {
		int rc;
		try {
			String[] args = argv;
			if (args.length >= 2 && args[0].equals("--config")) {
				try (InputStream in = new FileInputStream(args[1])) {
					clientProps.load(in);
				}
				args = java.util.Arrays.copyOfRange(args, 2, args.length);
			}
			if (args.length >= 4 && args[0].equals("ensure")) {
				List<Spec> specs = new ArrayList<>();
				List<User> users = new ArrayList<>();
				List<AclBinding> acls = new ArrayList<>();
				for (int i = 4; i < args.length; i++) {
					if (args[i].startsWith("scram:"))
						users.add(parseUser(args[i].substring(6)));
					else if (args[i].startsWith("acl:"))
						acls.add(parseAcl(args[i].substring(4)));
					else
						specs.add(parse(args[i]));
				}
				rc = ensure(args[1], Long.parseLong(args[2]), Long.parseLong(args[3]), specs, users, acls);
			} else if (args.length == 2 && args[0].equals("list")) {
				rc = list(args[1]);
			} else if (args.length == 2 && args[0].equals("acls")) {
				rc = acls(args[1]);
			} else {
				System.err.println("usage: KafkaAdmin [--config FILE] ensure BOOTSTRAP TIMEOUT_S PID ITEM... | "
					+ "list BOOTSTRAP | acls BOOTSTRAP");
				rc = 2;
			}
		} catch (Exception e) {
			System.err.println("kafka-admin: " + rootMessage(e));
			rc = 1;
		}
		System.exit(rc);
	}
}
