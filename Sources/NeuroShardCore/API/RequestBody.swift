/// A JSON object body with typed fields: a field of the wrong type is refused with its name,
/// never coerced (SPEC §4: 400 INVALID_REQUEST for malformed JSON and wrong types).
struct RequestBody {
    let fields: [(String, JSON)]

    init(_ bytes: [UInt8]) throws(APIError) {
        let parsed: JSON
        do { parsed = try JSON.parse(bytes) } catch {
            throw APIError(.invalidRequest, "The body is not valid JSON: \(error)")
        }
        guard case .object(let members) = parsed else { throw APIError(.invalidRequest, "The body must be a JSON object") }
        fields = members
    }

    static func invalid(_ field: String, _ problem: String) -> APIError {
        APIError(.invalidRequest, "\(field) \(problem)", details: [("field", .string(field))])
    }

    /// The field's value; nil when absent or null (the default applies), unless `required`.
    private func value(_ name: String, required: Bool) throws(APIError) -> JSON? {
        switch fields.first(where: { $0.0 == name })?.1 {
        case nil, .null?:
            if required { throw Self.invalid(name, "is required") }
            return nil
        case let v?: return v
        }
    }

    func string(_ name: String, required: Bool = false) throws(APIError) -> String? {
        guard let v = try value(name, required: required) else { return nil }
        guard case .string(let s) = v else { throw Self.invalid(name, "must be a string") }
        return s
    }

    func integer(_ name: String) throws(APIError) -> Int? {
        guard let v = try value(name, required: false) else { return nil }
        guard case .int(let i) = v, let int = Int(exactly: i) else { throw Self.invalid(name, "must be an integer") }
        return int
    }

    func number(_ name: String) throws(APIError) -> Double? {
        guard let v = try value(name, required: false) else { return nil }
        switch v {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: throw Self.invalid(name, "must be a number")
        }
    }

    func bool(_ name: String) throws(APIError) -> Bool? {
        guard let v = try value(name, required: false) else { return nil }
        guard case .bool(let b) = v else { throw Self.invalid(name, "must be true or false") }
        return b
    }

    func strings(_ name: String) throws(APIError) -> [String]? {
        guard let v = try value(name, required: false) else { return nil }
        guard case .array(let items) = v else { throw Self.invalid(name, "must be an array of strings") }
        var out: [String] = []
        for item in items {
            guard case .string(let s) = item else { throw Self.invalid(name, "must be an array of strings") }
            out.append(s)
        }
        return out
    }
}
