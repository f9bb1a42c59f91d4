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
 * leaving its previous state bytes unchanged. Nothing is allocated from the header's claimed state
 * length before the stream is long enough to carry it. More than 1 GiB written fails with {@code
 * ENOMEM}.
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
        if (!saving.initial.get(c) && !saving.fresh.get(c)) {
          saving.dirty.set(c);
        }
      }
    }
  }

  /**
   * Reconfigures the running device so that its whole state is new initial data, as the 2026 {@code
   * VFIO_PRECOPY_INFO_REINIT} series describes (mlx5 when its firmware reports a new initial-data
   * chunk): in an open pre-copy session every chunk already streamed is streamed again, after the
   * initial chunks not yet read and before any dirty chunk, and the dirty chunks are folded into
   * it. The next {@link #precopyInfo(boolean)} with the v2 opt-in reports {@code reinit}, the new
   * data as {@code initial_bytes} and {@code dirty_bytes} from zero; without the opt-in the new
   * data is reported as {@code dirty_bytes}, as mlx5 does.
   *
   * @throws IllegalStateException unless a saving session is open in PRE_COPY or PRE_COPY_P2P
   */
  public synchronized void reinitialize() {
    Preconditions.checkState(
        saving != null && (mig == MigrationState.PRE_COPY || mig == MigrationState.PRE_COPY_P2P),
        "no pre-copy session in %s",
        mig);
    Saving s = saving;
    s.fresh.set(0, chunkCount());
    s.fresh.andNot(s.initial);
    s.dirty.clear();
    s.reinitPending = true;
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
      mig = MigrationState.ERROR; // until the stream is loaded, whatever the parse throws
      state = parse(r.bytes, r.length);
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
    return precopyInfo(false);
  }

  /**
   * Returns the pre-copy progress; with {@code reinitAllowed} the chunks of a {@link #reinitialize}
   * count as initial data and the first call after it reports {@code reinit}, else they count as
   * dirty data.
   */
  @Override
  public synchronized PrecopyInfo precopyInfo(boolean reinitAllowed) {
    Saving s = saving;
    long fresh = s.freshBytes();
    boolean reinit = reinitAllowed && s.reinitPending;
    if (reinitAllowed) {
      s.reinitPending = false;
    }
    return reinitAllowed
        ? new PrecopyInfo(s.initialBytes() + fresh, s.dirtyBytes(), reinit)
        : new PrecopyInfo(s.initialBytes(), s.dirtyBytes() + fresh);
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
    return s.initialBytes() + s.freshBytes() + s.dirtyBytes() + (s.endSent ? 0 : END_SIZE);
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
    final BitSet fresh = new BitSet(); // new initial data of a reinitialize()
    final BitSet dirty = new BitSet();
    boolean headerPending = true;
    boolean endSent;
    boolean reinitPending;
    ByteBuffer pending = EMPTY;
    Kind pendingKind = Kind.DIRTY;

    Saving(int chunks) {
      initial = new BitSet(chunks);
      initial.set(0, chunks);
    }

    /** Encodes the next record into {@code pending}; false if nothing is available now. */
    boolean next() {
      if (headerPending) {
        headerPending = false;
        return pend(header(), Kind.INITIAL);
      }
      int c = initial.nextSetBit(0);
      if (c >= 0) {
        initial.clear(c);
        return pend(chunk(c), Kind.INITIAL);
      }
      c = fresh.nextSetBit(0);
      if (c >= 0) {
        fresh.clear(c);
        return pend(chunk(c), Kind.FRESH);
      }
      c = dirty.nextSetBit(0);
      if (c >= 0) {
        dirty.clear(c);
        return pend(chunk(c), Kind.DIRTY);
      }
      if (mig == MigrationState.STOP_COPY && !endSent) {
        endSent = true;
        return pend(end(), Kind.DIRTY);
      }
      return false;
    }

    private boolean pend(ByteBuffer record, Kind kind) {
      pending = record;
      pendingKind = kind;
      return true;
    }

    long initialBytes() {
      return (headerPending ? HEADER_SIZE : 0) + bytes(initial, Kind.INITIAL);
    }

    long freshBytes() {
      return bytes(fresh, Kind.FRESH);
    }

    long dirtyBytes() {
      return bytes(dirty, Kind.DIRTY);
    }

    private long bytes(BitSet chunks, Kind kind) {
      long n = pendingKind == kind ? pending.remaining() : 0;
      for (int c = chunks.nextSetBit(0); c >= 0; c = chunks.nextSetBit(c + 1)) {
        n += chunkRecordSize(c);
      }
      return n;
    }
  }

  /** What a streamed record counts as: initial data, reinitialized initial data, dirty data. */
  private enum Kind {
    INITIAL,
    FRESH,
    DIRTY
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
    // Size nothing from the header before the bytes are there: a whole stream carrying
    // stateLength bytes is at least this long (a header claiming 1 GiB in 36 bytes is truncated).
    long chunkCount = (stateLength + chunk - 1) / chunk;
    long streamLength = HEADER_SIZE + stateLength + CHUNK_OVERHEAD * chunkCount + END_SIZE;
    need(b, (int) Math.min(streamLength - HEADER_SIZE, Integer.MAX_VALUE), "the state it claims");
    byte[] state = new byte[(int) stateLength];
    int chunks = (int) chunkCount;
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
