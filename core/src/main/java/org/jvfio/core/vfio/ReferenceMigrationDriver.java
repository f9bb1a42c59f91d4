package org.jvfio.core.vfio;

import com.google.common.base.Preconditions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.BitSet;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.zip.CRC32C;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;

/**
 * A reference migratable variant driver: a device whose internal state is an opaque byte array that
 * a migration saves and resumes byte for byte.
 *
 * <p>The state is divided into chunks ({@code chunkSize} bytes, the last may be shorter). A saving
 * session streams a header, then every chunk once as initial data, then the chunks changed (with
 * {@link #writeState}) since they were streamed as dirty data, and in STOP_COPY, after the last
 * dirty chunk, an end record; then end of stream. Chunks are encoded when read, so a chunk changed
 * before it is streamed goes out once with its new content. {@link #precopyInfo} counts the encoded
 * bytes of the initial and dirty parts still to read.
 *
 * <p>Stream format (little-endian; CRC is CRC-32C): header {@code u32 magic "JVFM", u16 version 1,
 * u16 0, u64 stateLength, u32 chunkSize, u32 crc}; chunk {@code u32 "CHNK", u32 index, u32 length,
 * bytes, u32 crc}; end {@code u32 "END!", u32 crc(state), u32 crc}. A resuming session buffers what
 * is written; RESUMING→STOP parses and validates it: a truncated stream, a bad checksum, a missing
 * chunk, a chunk of the wrong length or trailing bytes fail the arc with {@code EINVAL} and put the
 * device in ERROR (the uAPI lets the driver "optionally go to the ERROR state"; this driver does),
 * leaving its previous state bytes unchanged. More than 1 GiB written fails with {@code ENOMEM}.
 *
 * <p>The state may only change while the device runs (RUNNING, RUNNING_P2P, PRE_COPY,
 * PRE_COPY_P2P): in STOP, STOP_COPY and RESUMING "the device does not change the internal state". A
 * reset drops any session and returns to RUNNING; the state bytes are kept.
 *
 * <p>Thread-safe: every method is synchronized.
 */
public final class ReferenceMigrationDriver implements VfioDeviceDriver {
  /** The default chunk size: 4 KiB. */
  public static final int DEFAULT_CHUNK_SIZE = 4096;

  private static final int MAGIC = 0x4D46564A; // "JVFM"
  private static final int CHUNK_TAG = 0x4B4E4843; // "CHNK"
  private static final int END_TAG = 0x21444E45; // "END!"
  private static final short VERSION = 1;
  private static final int HEADER_SIZE = 24;
  private static final int CHUNK_OVERHEAD = 16;
  private static final int END_SIZE = 12;
  private static final int MAX_RESUME_BYTES = 1 << 30;
  private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

  private final Set<MigrationFlag> flags;
  private final int chunkSize;
  private final Optional<DmaTracker> tracker;
  private byte[] state;
  private MigrationState mig = MigrationState.RUNNING;
  private Saving saving;
  private Resuming resuming;

  private ReferenceMigrationDriver(
      Set<MigrationFlag> flags, byte[] state, int chunkSize, Optional<DmaTracker> tracker) {
    Preconditions.checkArgument(
        flags.contains(MigrationFlag.STOP_COPY), "flags %s lack STOP_COPY", flags);
    Preconditions.checkArgument(chunkSize > 0, "chunkSize %s <= 0", chunkSize);
    this.flags = Set.copyOf(flags);
    this.state = state.clone();
    this.chunkSize = chunkSize;
    this.tracker = tracker;
  }

  /**
   * Returns a driver with the given flags and initial state, 4 KiB chunks and no tracker.
   *
   * @param flags the migration flags the driver offers
   * @param state the initial device state (copied)
   * @return a new driver
   * @throws IllegalArgumentException if {@code flags} lacks {@link MigrationFlag#STOP_COPY}
   */
  public static ReferenceMigrationDriver create(Set<MigrationFlag> flags, byte[] state) {
    return create(flags, state, DEFAULT_CHUNK_SIZE, Optional.empty());
  }

  /**
   * Returns a driver with the given flags, initial state (copied), chunk size and optional tracker.
   *
   * @param flags the migration flags the driver offers
   * @param state the initial device state (copied)
   * @param chunkSize the most bytes one read of the saving stream returns
   * @param tracker the device's DMA-logging tracker, or empty
   * @return a new driver
   * @throws IllegalArgumentException if {@code flags} lacks {@link MigrationFlag#STOP_COPY} or
   *     {@code chunkSize <= 0}
   */
  public static ReferenceMigrationDriver create(
      Set<MigrationFlag> flags, byte[] state, int chunkSize, Optional<DmaTracker> tracker) {
    return new ReferenceMigrationDriver(flags, state, chunkSize, tracker);
  }

  /**
   * Returns a driver whose initial state is {@code size} bytes drawn from {@code seed}, with 4 KiB
   * chunks and no tracker.
   *
   * @param flags the migration flags the driver offers
   * @param seed the seed of the state's bytes
   * @param size the state's size in bytes
   * @return a new driver
   */
  public static ReferenceMigrationDriver seeded(Set<MigrationFlag> flags, long seed, int size) {
    byte[] bytes = new byte[size];
    SplittableRandom random = new SplittableRandom(seed);
    for (int i = 0; i < size; i++) {
      bytes[i] = (byte) random.nextInt(256);
    }
    return create(flags, bytes);
  }

  /**
   * Returns a copy of the device's internal state.
   *
   * @return a copy of the current device state
   */
  public synchronized byte[] deviceState() {
    return state.clone();
  }

  /**
   * Changes the device's internal state, as the running device would: copies {@code data} to {@code
   * offset}. In a saving session, the chunks it touches that were already streamed become dirty.
   *
   * @param offset the first byte to change
   * @param data the new bytes
   * @throws IllegalStateException if the device is not running (STOP, STOP_COPY, RESUMING, ERROR)
   * @throws IndexOutOfBoundsException if the range is outside the state
   */
  public synchronized void writeState(int offset, byte[] data) {
    Preconditions.checkState(
        mig == MigrationState.RUNNING
            || mig == MigrationState.RUNNING_P2P
            || mig == MigrationState.PRE_COPY
            || mig == MigrationState.PRE_COPY_P2P,
        "device state cannot change in %s",
        mig);
    Objects.checkFromIndexSize(offset, data.length, state.length);
    System.arraycopy(data, 0, state, offset, data.length);
    if (saving != null && data.length > 0) {
      for (int c = offset / chunkSize; c <= (offset + data.length - 1) / chunkSize; c++) {
        if (!saving.initial.get(c)) {
          saving.dirty.set(c);
        }
      }
    }
  }

  @Override
  public Set<MigrationFlag> migrationFlags() {
    return flags;
  }

  @Override
  public synchronized void executeArc(MigrationArc arc) {
    if (arc.from() == MigrationState.RESUMING) {
      Resuming r = resuming;
      resuming = null;
      try {
        state = parse(r.bytes, r.length);
      } catch (UapiException e) {
        mig = MigrationState.ERROR;
        throw e;
      }
    } else if (arc.endsDataTransfer()) {
      saving = null;
    }
    if (arc.startsDataTransfer()) {
      if (arc.to() == MigrationState.RESUMING) {
        resuming = new Resuming();
      } else {
        saving = new Saving(chunkCount());
      }
    }
    mig = arc.to();
  }

  /** Returns ERROR for a failed RESUMING→STOP, the arc's start state otherwise. */
  @Override
  public MigrationState stateAfterFailedArc(MigrationArc arc, UapiException failure) {
    return arc.from() == MigrationState.RESUMING ? MigrationState.ERROR : arc.from();
  }

  @Override
  public synchronized int save(ByteBuffer dst) {
    Saving s = saving;
    int n = 0;
    while (dst.hasRemaining()) {
      if (!s.pending.hasRemaining() && !s.next()) {
        break;
      }
      int k = Math.min(dst.remaining(), s.pending.remaining());
      ByteBuffer part = s.pending.duplicate();
      part.limit(part.position() + k);
      dst.put(part);
      s.pending.position(s.pending.position() + k);
      n += k;
    }
    return n;
  }

  @Override
  public synchronized PrecopyInfo precopyInfo() {
    Saving s = saving;
    return new PrecopyInfo(s.initialBytes(), s.dirtyBytes());
  }

  @Override
  public synchronized void resume(ByteBuffer src) {
    Resuming r = resuming;
    int n = src.remaining();
    UapiException.check(
        n <= MAX_RESUME_BYTES - r.length, Errno.ENOMEM, "resume stream larger than 1 GiB");
    if (r.bytes.length - r.length < n) {
      r.bytes =
          Arrays.copyOf(
              r.bytes, Math.max(r.length + n, Math.min(2 * r.bytes.length, MAX_RESUME_BYTES)));
    }
    src.get(r.bytes, r.length, n);
    r.length += n;
  }

  /**
   * Returns the bytes still to stream before the end of a STOP_COPY: what is left of the open
   * saving session, or the size of a whole stream when there is none.
   */
  @Override
  public synchronized long stopCopyLength() {
    Saving s = saving;
    if (s == null) {
      long total = HEADER_SIZE + END_SIZE;
      for (int c = 0; c < chunkCount(); c++) {
        total += chunkRecordSize(c);
      }
      return total;
    }
    return s.initialBytes() + s.dirtyBytes() + (s.endSent ? 0 : END_SIZE);
  }

  @Override
  public synchronized void reset() {
    saving = null;
    resuming = null;
    mig = MigrationState.RUNNING;
  }

  @Override
  public Optional<DmaTracker> dmaTracker() {
    return tracker;
  }

  private int chunkCount() {
    return (state.length + chunkSize - 1) / chunkSize;
  }

  private int chunkLength(int c) {
    return Math.min(chunkSize, state.length - c * chunkSize);
  }

  private long chunkRecordSize(int c) {
    return CHUNK_OVERHEAD + chunkLength(c);
  }

  /** The open saving session. */
  private final class Saving {
    final BitSet initial;
    final BitSet dirty = new BitSet();
    boolean headerPending = true;
    boolean endSent;
    ByteBuffer pending = EMPTY;
    boolean pendingInitial;

    Saving(int chunks) {
      initial = new BitSet(chunks);
      initial.set(0, chunks);
    }

    /** Encodes the next record into {@code pending}; false if nothing is available now. */
    boolean next() {
      if (headerPending) {
        headerPending = false;
        return pend(header(), true);
      }
      int c = initial.nextSetBit(0);
      if (c >= 0) {
        initial.clear(c);
        return pend(chunk(c), true);
      }
      c = dirty.nextSetBit(0);
      if (c >= 0) {
        dirty.clear(c);
        return pend(chunk(c), false);
      }
      if (mig == MigrationState.STOP_COPY && !endSent) {
        endSent = true;
        return pend(end(), false);
      }
      return false;
    }

    private boolean pend(ByteBuffer record, boolean isInitial) {
      pending = record;
      pendingInitial = isInitial;
      return true;
    }

    long initialBytes() {
      long n = (headerPending ? HEADER_SIZE : 0) + (pendingInitial ? pending.remaining() : 0);
      for (int c = initial.nextSetBit(0); c >= 0; c = initial.nextSetBit(c + 1)) {
        n += chunkRecordSize(c);
      }
      return n;
    }

    long dirtyBytes() {
      long n = pendingInitial ? 0 : pending.remaining();
      for (int c = dirty.nextSetBit(0); c >= 0; c = dirty.nextSetBit(c + 1)) {
        n += chunkRecordSize(c);
      }
      return n;
    }
  }

  /** The open resuming session: the bytes written so far. */
  private static final class Resuming {
    byte[] bytes = new byte[4096];
    int length;
  }

  private ByteBuffer header() {
    ByteBuffer b = ByteBuffer.allocate(HEADER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(MAGIC).putShort(VERSION).putShort((short) 0).putLong(state.length).putInt(chunkSize);
    b.putInt(crc(b.array(), 0, HEADER_SIZE - 4));
    return b.flip();
  }

  private ByteBuffer chunk(int c) {
    int len = chunkLength(c);
    ByteBuffer b = ByteBuffer.allocate(CHUNK_OVERHEAD + len).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(CHUNK_TAG).putInt(c).putInt(len).put(state, c * chunkSize, len);
    b.putInt(crc(b.array(), 0, 12 + len));
    return b.flip();
  }

  private ByteBuffer end() {
    ByteBuffer b = ByteBuffer.allocate(END_SIZE).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(END_TAG).putInt(crc(state, 0, state.length));
    b.putInt(crc(b.array(), 0, 8));
    return b.flip();
  }

  private static int crc(byte[] bytes, int offset, int length) {
    CRC32C crc = new CRC32C();
    crc.update(bytes, offset, length);
    return (int) crc.getValue();
  }

  /**
   * Parses and validates a whole saved stream and returns the state it carries.
   *
   * @throws UapiException {@code EINVAL} for any defect
   */
  private static byte[] parse(byte[] bytes, int length) {
    ByteBuffer b = ByteBuffer.wrap(bytes, 0, length).order(ByteOrder.LITTLE_ENDIAN);
    need(b, HEADER_SIZE, "header");
    valid(b.getInt() == MAGIC, "bad magic");
    valid(b.getShort() == VERSION, "unknown version");
    b.getShort();
    long stateLength = b.getLong();
    int chunk = b.getInt();
    valid(b.getInt() == crc(bytes, 0, HEADER_SIZE - 4), "header checksum mismatch");
    valid(stateLength >= 0 && stateLength <= MAX_RESUME_BYTES && chunk > 0, "bad header");
    byte[] state = new byte[(int) stateLength];
    int chunks = (int) ((stateLength + chunk - 1) / chunk);
    BitSet seen = new BitSet(chunks);
    while (true) {
      int start = b.position();
      need(b, 4, "record");
      int tag = b.getInt();
      if (tag == CHUNK_TAG) {
        need(b, 8, "chunk header");
        int index = b.getInt();
        int len = b.getInt();
        valid(index >= 0 && index < chunks, "chunk index out of range");
        valid(len == Math.min(chunk, state.length - index * chunk), "bad chunk length");
        need(b, len + 4, "chunk");
        valid(
            ByteBuffer.wrap(bytes, b.position() + len, 4).order(ByteOrder.LITTLE_ENDIAN).getInt()
                == crc(bytes, start, 12 + len),
            "chunk checksum mismatch");
        b.get(state, index * chunk, len);
        b.getInt();
        seen.set(index);
      } else if (tag == END_TAG) {
        need(b, 8, "end record");
        int stateCrc = b.getInt();
        valid(b.getInt() == crc(bytes, start, 8), "end checksum mismatch");
        valid(!b.hasRemaining(), "bytes after the end record");
        valid(seen.cardinality() == chunks, "missing chunks");
        valid(stateCrc == crc(state, 0, state.length), "state checksum mismatch");
        return state;
      } else {
        throw new UapiException(Errno.EINVAL, "bad record tag 0x" + Integer.toHexString(tag));
      }
    }
  }

  private static void need(ByteBuffer b, int n, String what) {
    valid(b.remaining() >= n, "stream truncated in " + what);
  }

  private static void valid(boolean ok, String what) {
    UapiException.check(ok, Errno.EINVAL, "resume stream invalid: " + what);
  }

  @Override
  public synchronized String toString() {
    return "ReferenceMigrationDriver[flags="
        + EnumSet.copyOf(flags)
        + ", state="
        + mig
        + ", bytes="
        + state.length
        + "]";
  }
}
