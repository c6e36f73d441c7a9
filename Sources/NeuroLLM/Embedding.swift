/// Layer 0: row `token` of the table becomes the token's hidden vector.
struct Embedding {
    let hidden: Int
    let rows: Int

    func forward(_ table: UnsafePointer<Float>, tokens: UnsafePointer<Int32>, into out: UnsafeMutablePointer<Float>) {
        for r in 0..<rows {
            (out + r * hidden).update(from: table + Int(tokens[r]) * hidden, count: hidden)
        }
    }

    /// The table's gradient (overwritten): each row sums the output gradients of the positions
    /// holding that token, in position order.
    func backward(tokens: UnsafePointer<Int32>, outputGradient dy: UnsafePointer<Float>,
                  tableGradient g: UnsafeMutablePointer<Float>, tableCount: Int) {
        g.update(repeating: 0, count: tableCount)
        for r in 0..<rows {
            let gr = g + Int(tokens[r]) * hidden, dr = dy + r * hidden
            for j in 0..<hidden { gr[j] += dr[j] }
        }
    }
}
