/** Contract suites that test someone else's implementation of a jvfio SPI. */
package org.jvfio.testkit.contract;
