enum OpenAPIDocument {
    static let json = #"""
{"openapi":"3.1.0","info":{"title":"Offload","version":"1.0.0"},"paths":{}}
"""#
}
