import OffloadCore

/// The body of `PUT /v1/queues/{name}/settings`: each of `QueueSettings.fields` read as a
/// whole number, so a fraction is answered naming its field.
struct QueueSettingsBody: Decodable {
    let settings: QueueSettings

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: QueueSettings.Key.self)
        var settings = QueueSettings()
        for field in QueueSettings.fields {
            settings[keyPath: field.keyPath] = try container.decodeWholeNumberIfPresent(forKey: QueueSettings.Key(stringValue: field.name))
        }
        self.settings = settings
    }
}
