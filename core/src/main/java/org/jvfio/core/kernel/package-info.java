/** The syscall-shaped facade: FakeKernel with an fd table, byte-exact ioctls and user memory. */
package org.jvfio.core.kernel;
