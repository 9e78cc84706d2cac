// Message schemas: implemented with messages.h.
