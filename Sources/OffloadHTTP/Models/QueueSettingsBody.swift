import Offload

/// The body of `PUT /v1/queues/{name}/settings`: each of `QueueSettings.fields` read as a
/// whole number, so a fraction is answered naming its field.
struct QueueSettingsBody: Decodable {
    let settings: QueueSettings

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: JSONFieldKey.self)
        try container.refuseFields(notIn: QueueSettings.fields.map(\.name))
        var settings = QueueSettings()
        for field in QueueSettings.fields {
            settings[keyPath: field.keyPath] = try container.decodeWholeNumberIfPresent(forKey: JSONFieldKey(field.name))
        }
        self.settings = settings
    }
}
