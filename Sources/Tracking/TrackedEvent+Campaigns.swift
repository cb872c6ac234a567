import Foundation
import Web

extension TrackedEvent {
    /// An event that the campaigns record on a customer's timeline.
    package init(campaignEvent name: String, customerID: Int, properties: JSONObject, url: String?, userAgent: String?, ip: String?,
         messageID: String) {
        self.kind = .event
        self.name = name
        self.email = nil
        self.customerID = customerID
        self.anonymousID = nil
        self.properties = properties
        self.amount = nil
        self.currency = nil
        self.url = url.map { String($0.prefix(2048)) }
        self.referrer = nil
        self.userAgent = userAgent.map { String($0.prefix(512)) }
        self.ip = ip
        self.messageID = messageID
        self.occurredAt = Date()
    }
}
