/**
 * The jvfio syscall bridge: a server that holds a {@code FakeKernel} and answers, over a UNIX
 * domain socket, the system calls that the {@code libjvfio-preload.so} library intercepts in a C or
 * Rust program, reaching the program's memory through callbacks (see {@code docs/bridge.md}); and
 * the generator of the C header of the uAPI from the api module's records.
 */
module org.jvfio.bridge {
  requires org.jvfio.core;
  requires com.google.common;
  requires info.picocli;

  exports org.jvfio.bridge;

  opens org.jvfio.bridge to
      info.picocli;
}
