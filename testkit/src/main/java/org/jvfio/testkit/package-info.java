/** Generators with shrinking and the property runner. */
package org.jvfio.testkit;
