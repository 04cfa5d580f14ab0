//! cjm-analytics: the views' figures checked against references computed
//! here from the rows, and the charts drawn from them.
