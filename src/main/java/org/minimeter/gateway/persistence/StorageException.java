package org.minimeter.gateway.persistence;

/** The register cannot be read or written; the message says where and why. */
public final class StorageException extends RuntimeException {

    public StorageException(String message) {
        super(message);
    }

    public StorageException(String message, Throwable cause) {
        super(message, cause);
    }
}
