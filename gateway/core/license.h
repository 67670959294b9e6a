/*
 * license.h - the licensed ID pool rules of the service contract, as pure
 * functions (DESIGN.md "Service rules").
 *
 * A tenant is contracted for N IDs, N >= IDG_CONTRACT_MIN, changed in steps
 * of 1. Person users whose status is active or suspended hold a license;
 * deleted users and the two service accounts do not. The store calls these
 * inside its transaction; the CLI and the admin API render the numbers.
 * No I/O here.
 */
#ifndef IDG_LICENSE_H
#define IDG_LICENSE_H

#define IDG_CONTRACT_MIN 20
#define IDG_CONTRACT_MAX 10000000

struct idg_license_numbers {
	int	contracted;	/* N */
	int	in_use;		/* licenses held now */
	int	requested;	/* licenses the operation wants to add, or the new N */
};

/*
 * May `requested` more licenses be taken? IDG_OK or IDG_DECLINED
 * (license_pool_exhausted).
 */
int	idg_license_check_take(const struct idg_license_numbers *n);
/*
 * May the contract become n->requested? IDG_OK; IDG_INVALID if it is below
 * IDG_CONTRACT_MIN or above IDG_CONTRACT_MAX; IDG_DECLINED if it is below
 * in_use, with *must_free set to how many licenses must be freed first.
 */
int	idg_license_check_contract(const struct idg_license_numbers *n, int *must_free);
/* Formats the numbers for people: "20 contracted, 20 in use, 1 requested". */
void	idg_license_describe(const struct idg_license_numbers *n, char *out,
	    unsigned outsz);

#endif
