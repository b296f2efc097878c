// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// Helper for scripts/kafka.sh: waits for the broker and creates or lists
// topics in one JVM (each of the broker's own CLI tools costs a JVM start,
// about 2 s here). kafka.sh compiles it once into its cache directory
// against the broker's jars; it is not meant to be run by hand.
//
//   KafkaAdmin ensure BOOTSTRAP TIMEOUT_S PID NAME:PARTITIONS[:KEY=VAL[,KEY=VAL]] ...
//       wait until the broker answers a metadata request (giving up when
//       TIMEOUT_S passes or process PID, if > 0, exits), then create each
//       missing topic; an existing topic is kept, and one whose partition
//       count differs is reported (exit 4).
//   KafkaAdmin list BOOTSTRAP
//       one line per topic: name, partitions, cleanup.policy.
//
// Exit codes: 0 done, 2 usage, 3 broker not ready in time or gone, 4 a topic
// differs from its spec, 1 anything else.

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TopicExistsException;

public final class KafkaAdmin {
	private static final class Spec {
		String name;
		int partitions;
		Map<String, String> configs = new HashMap<>();
	}

	private static Admin admin(String bootstrap) {
		Properties p = new Properties();
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

	private static int ensure(String bootstrap, long timeoutS, long pid, List<Spec> specs) throws Exception {
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
			return rc;
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

	public static void main(String[] args) {
		int rc;
		try {
			if (args.length >= 4 && args[0].equals("ensure")) {
				List<Spec> specs = new ArrayList<>();
				for (int i = 4; i < args.length; i++)
					specs.add(parse(args[i]));
				rc = ensure(args[1], Long.parseLong(args[2]), Long.parseLong(args[3]), specs);
			} else if (args.length == 2 && args[0].equals("list")) {
				rc = list(args[1]);
			} else {
				System.err.println("usage: KafkaAdmin ensure BOOTSTRAP TIMEOUT_S PID SPEC... | list BOOTSTRAP");
				rc = 2;
			}
		} catch (Exception e) {
			System.err.println("kafka-admin: " + rootMessage(e));
			rc = 1;
		}
		System.exit(rc);
	}
}
