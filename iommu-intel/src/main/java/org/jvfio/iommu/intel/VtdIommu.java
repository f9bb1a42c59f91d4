package org.jvfio.iommu.intel;

import java.util.HashMap;
import java.util.Map;

/*
 * One VT-d remapping unit as the driver sees it: its registers, its domain-id allocator and the
 * owner of each programmed (device, PASID) entry. The entries themselves live in the owning
 * domain (VtdDomain.attachments); this map only lets a new attachment evict the previous owner,
 * as programming a PASID entry replaces whatever domain it pointed at. Everything here, and the
 * attachment state of every domain of this unit, is guarded by this object's monitor (the
 * kernel's iommu->lock).
 */
final class VtdIommu {
  /** Domain ids start above FLPT_DEFAULT_DID (1), which the kernel reserves. */
  private static final int FIRST_DID = 2;

  final VtdRegisters registers;
  private final Map<Long, VtdDomain> owners = new HashMap<>();
  private int nextDid = FIRST_DID;

  VtdIommu(VtdRegisters registers) {
    this.registers = registers;
  }

  synchronized int allocateDomainId() {
    return nextDid++;
  }

  /** Records {@code owner} as the domain at {@code key}; the previous owner forgets the entry. */
  void claim(long key, VtdDomain owner) {
    VtdDomain previous = owners.put(key, owner);
    if (previous != null && previous != owner) {
      previous.forget(key);
    }
  }

  /** Forgets {@code key} if {@code owner} holds it. */
  void release(long key, VtdDomain owner) {
    owners.remove(key, owner);
  }

  static long key(int device, int pasid) {
    if ((device & ~0xffff) != 0) {
      throw new IllegalArgumentException("device source id is 16-bit: " + device);
    }
    if ((pasid & ~0xfffff) != 0) {
      throw new IllegalArgumentException("PASID is 20-bit: " + pasid);
    }
    return ((long) device << 20) | pasid;
  }
}
