/*
 * cidr.c - address and CIDR parsing and matching; see cidr.h.
 */
#include "cidr.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "status.h"
#include "str.h"

static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

int
idg_ip_parse(const char *s, struct idg_ip *out)
{
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, s, out->addr) == 1) {
		out->family = AF_INET;
		return IDG_OK;
	}
	if (inet_pton(AF_INET6, s, out->addr) == 1) {
		out->family = AF_INET6;
		if (memcmp(out->addr, v4mapped, 12) == 0) {
			memmove(out->addr, out->addr + 12, 4);
			memset(out->addr + 4, 0, 12);
			out->family = AF_INET;
		}
		return IDG_OK;
	}
	return IDG_INVALID;
}

static void
mask(uint8_t *a, unsigned prefix, unsigned bits)
{
	unsigned i;

	for (i = prefix; i < bits; i++)
		a[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
}

int
idg_cidr_parse(const char *s, struct idg_cidr *out)
{
	char addr[64];
	const char *slash = strchr(s, '/');
	unsigned bits;
	long pfx;

	if (strlen(s) >= sizeof(addr))
		return IDG_INVALID;
	idg_strlcpy(addr, s, sizeof(addr));
	if (slash != NULL)
		addr[slash - s] = '\0';
	if (idg_ip_parse(addr, &out->ip) != IDG_OK)
		return IDG_INVALID;
	bits = out->ip.family == AF_INET ? 32 : 128;
	/* a v4-mapped v6 literal with a v6 prefix: shift the prefix down */
	if (slash == NULL) {
		pfx = bits;
	} else {
		long maxp = (out->ip.family == AF_INET && strchr(addr, ':')) ? 128 : bits;
		if (idg_parse_long(slash + 1, 0, maxp, &pfx) != IDG_OK)
			return IDG_INVALID;
		if (maxp == 128 && bits == 32) {
			if (pfx < 96)
				return IDG_INVALID;
			pfx -= 96;
		}
	}
	out->prefix = (unsigned)pfx;
	mask(out->ip.addr, out->prefix, bits);
	return IDG_OK;
}

bool
idg_cidr_match(const struct idg_cidr *c, const struct idg_ip *ip)
{
	uint8_t a[16];
	unsigned bits;

	if (c->ip.family != ip->family)
		return false;
	bits = ip->family == AF_INET ? 32 : 128;
	memcpy(a, ip->addr, 16);
	mask(a, c->prefix, bits);
	return memcmp(a, c->ip.addr, bits / 8) == 0;
}

void
idg_ip_format(const struct idg_ip *ip, char *out, unsigned outsz)
{
	if (inet_ntop(ip->family, ip->addr, out, outsz) == NULL && outsz > 0)
		out[0] = '\0';
}
