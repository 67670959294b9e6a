/*
 * cidr.h - IPv4/IPv6 addresses and CIDR blocks (RFC 4632, RFC 4291).
 *
 * Used for the trusted-proxy list (X-Forwarded-For is believed only from a
 * listed peer) and by the rate limiter for the client address. IPv4-mapped
 * IPv6 addresses (::ffff:a.b.c.d) are matched as IPv4. Pure; no I/O.
 */
#ifndef IDG_CIDR_H
#define IDG_CIDR_H

#include <stdbool.h>
#include <stdint.h>

struct idg_ip {
	int	family;		/* AF_INET or AF_INET6 */
	uint8_t	addr[16];	/* network order; v4 in the first 4 bytes */
};

struct idg_cidr {
	struct idg_ip	ip;	/* host bits cleared */
	unsigned	prefix;
};

/* Parses a literal address. Returns IDG_OK or IDG_INVALID. */
int	idg_ip_parse(const char *s, struct idg_ip *out);
/* "a.b.c.d/n", "x::y/n" or a bare address (full-length prefix). */
int	idg_cidr_parse(const char *s, struct idg_cidr *out);
bool	idg_cidr_match(const struct idg_cidr *c, const struct idg_ip *ip);
/* Formats ip into out (INET6_ADDRSTRLEN bytes). */
void	idg_ip_format(const struct idg_ip *ip, char *out, unsigned outsz);

#endif
