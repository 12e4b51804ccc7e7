"""The corpus folder as documents: the walk and safe reading, decoding, one loader per format,
and the passages documents are cut into."""
