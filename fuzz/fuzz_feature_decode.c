// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * fuzz_feature_decode.c - libFuzzer target for the detector's hand-written
 * FeatureBatch decoder (common/feature_decode.c): the input is a Kafka
 * message value, as anyone who can produce to xdpwatch.features.v1 may
 * write it.
 *
 * Invariants beyond "no sanitizer report" (the decoder reads without
 * allocating, so an overread is the bug to find):
 *   - xw_fb_decode() returns 0 or -EBADMSG, and calls the callback once per
 *     record it announced in h.nrecords when it returns 0;
 *   - xw_fb_peek_header() agrees: it fails exactly when the top-level scan
 *     does (then no record was delivered), and a decoded batch peeks to
 *     the same header;
 *   - every record delivered has an IP version consistent with the
 *     decoder's promises (0, 4 or 6 when addresses are present);
 *   - where protobuf-c also unpacks the input, the two agree on the batch
 *     fields and, record by record, on the scalar fields protobuf-c gives
 *     plainly (protobuf-c is the oracle, as in tests/unit/
 *     test_feature_decode.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feature_decode.h"
#include "xdpwatch/v1/features.pb-c.h"

#define CHECK(cond)                                                         \
	do {                                                                \
		if (!(cond)) {                                              \
			fprintf(stderr, "fuzz_feature_decode: %s:%d: %s\n", \
				__FILE__, __LINE__, #cond);                  \
			abort();                                            \
		}                                                           \
	} while (0)

struct seen {
	const Xdpwatch__V1__FeatureBatch *pb; /* NULL: protobuf-c refused */
	uint32_t n;
};

static int on_record(void *ctx, const struct xw_fb_header *h,
		     const struct xw_fb_record *r)
{
	struct seen *s = ctx;
	const Xdpwatch__V1__FeatureRecord *p;

	CHECK(s->n < h->nrecords);
	if (r->ip_version == 4 || r->ip_version == 6) {
		/* An address of the other family would be refused. */
		static const uint8_t zero[12];

		if (r->ip_version == 4)
			CHECK(!memcmp(r->src + 4, zero, 12) &&
			      !memcmp(r->dst + 4, zero, 12));
	}
	if (s->pb && s->n < s->pb->n_records) {
		p = s->pb->records[s->n];
		CHECK(r->ts_offset_ns == p->ts_offset_ns);
		CHECK(r->l4_proto == p->l4_proto);
		CHECK(r->sport == p->sport && r->dport == p->dport);
		CHECK(r->pkt_len == p->pkt_len && r->ip_len == p->ip_len);
		CHECK(r->rule_id == p->rule_id && r->ifindex == p->ifindex);
		CHECK(r->parse_error == !!p->parse_error);
		if (p->src.len == 4 || p->src.len == 16)
			CHECK(!memcmp(r->src, p->src.data, p->src.len));
	}
	s->n++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xw_fb_header h, peek;
	Xdpwatch__V1__FeatureBatch *pb;
	struct seen s = { 0 };
	int ret, pret;

	pb = xdpwatch__v1__feature_batch__unpack(NULL, size, data);
	s.pb = pb;
	ret = xw_fb_decode(data, size, &h, on_record, &s);
	pret = xw_fb_peek_header(data, size, &peek);
	CHECK(ret == 0 || ret == -EBADMSG);
	CHECK(pret == 0 || pret == -EBADMSG);
	if (pret)
		CHECK(ret == -EBADMSG && s.n == 0);
	if (ret == 0) {
		CHECK(pret == 0);
		CHECK(s.n == h.nrecords);
		CHECK(peek.nrecords == h.nrecords &&
		      peek.sequence == h.sequence &&
		      peek.time_base_unix_ns == h.time_base_unix_ns &&
		      peek.sample_rate == h.sample_rate &&
		      peek.schema_version == h.schema_version &&
		      peek.counters_skipped == h.counters_skipped);
		CHECK(!memcmp(peek.pkts, h.pkts, sizeof(h.pkts)) &&
		      !memcmp(peek.bytes, h.bytes, sizeof(h.bytes)));
		if (pb) {
			CHECK(h.nrecords == pb->n_records);
			CHECK(h.sequence == pb->sequence &&
			      h.time_base_unix_ns == pb->time_base_unix_ns &&
			      h.schema_version == pb->schema_version);
			/* protobuf-c's C string ends at an embedded NUL. */
			if (!h.host_id_len)
				CHECK(!pb->host_id[0]);
			else if (!memchr(h.host_id, 0, h.host_id_len))
				CHECK(h.host_id_len == strlen(pb->host_id) &&
				      !memcmp(h.host_id, pb->host_id,
					      h.host_id_len));
		}
	}
	if (pb)
		xdpwatch__v1__feature_batch__free_unpacked(pb, NULL);
	return 0;
}
