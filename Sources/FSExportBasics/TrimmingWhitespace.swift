extension String {
    /// The text without white space at either end (Unicode's, not only ASCII's): what a number,
    /// a duration or a header value is read from.
    package func trimmingWhitespace() -> String {
        var view = Substring(self)
        while let first = view.first, first.isWhitespace { view = view.dropFirst() }
        while let last = view.last, last.isWhitespace { view = view.dropLast() }
        return String(view)
    }
}
