"""Documented signals: how a module reacts to another's happenings without importing it.

Each signal is sent by an operation during the transaction, with the acting member as
`actor` where there is one. Receivers must not commit; they queue side effects with
`network.core.events.after_commit`.
"""

from blinker import Namespace

_signals = Namespace()

#: sender=Member; the invitation was accepted and the account exists.
member_joined = _signals.signal("member-joined")
#: sender=Member, fields=set of changed profile field names.
profile_updated = _signals.signal("profile-updated")
#: sender=Member, old_status, new_status, stage=CareerStage.
status_changed = _signals.signal("status-changed")
#: sender=Member; the account was deactivated (its sessions are void).
member_deactivated = _signals.signal("member-deactivated")
#: sender=Member, tokens_too; the member's browser sessions end (logout, password change,
#: deactivation) and, with tokens_too, their API tokens.
sessions_revoked = _signals.signal("sessions-revoked")
#: sender=Cooperative; an admin changed the cooperative's settings.
settings_changed = _signals.signal("settings-changed")
#: sender=Member, token_id; an API token was revoked (its connections must end).
token_revoked = _signals.signal("token-revoked")
#: sender=Member, skill_ids, actor; the member's list of skills was replaced.
skills_updated = _signals.signal("skills-updated")
#: sender=Member; a deactivated account was reactivated.
member_reactivated = _signals.signal("member-reactivated")
#: sender=Skill; a skill of the taxonomy was created, edited, accepted or merged.
skill_changed = _signals.signal("skill-changed")
#: sender=member id, sid; a Socket.IO connection of the member was accepted (outside any
#: transaction: receivers may emit directly).
socket_connected = _signals.signal("socket-connected")
#: sender=member id, sid; one of the member's connections closed.
socket_disconnected = _signals.signal("socket-disconnected")
#: sender=Channel, actor; a public channel was created.
channel_created = _signals.signal("channel-created")
#: sender=Message, channel, mentioned (member ids, without the author), everyone, actor,
#: previous_id (the channel's last message before this one); a message was posted in a
#: channel (the notification centre listens for mentions and direct messages).
message_posted = _signals.signal("message-posted")
#: sender=recipient member id, kind (e.g. "booking_confirmed"), text (a translatable lazy
#: string, already formatted), url, actor (Member or None); a module asks the notification
#: centre to tell a member something (stored, delivered live, e-mailed per their choice;
#: mail=False: never e-mailed, e.g. the member is connected).
notification_requested = _signals.signal("notification-requested")
#: sender=list of recipient member ids, kind, text, url, actor, details (plain text for the
#: e-mail); the same notification to many members at once (one insert, not one per member).
notifications_requested = _signals.signal("notifications-requested")
#: sender=kind name, object_id, actor_id, once_a_day; a module adds an item to the feed
#: (once_a_day: not if the same object already has one from the last 24 hours).
feed_item_published = _signals.signal("feed-item-published")
#: sender=kind name, object_ids; the items of these objects leave the feed.
feed_item_withdrawn = _signals.signal("feed-item-withdrawn")
#: sender=Post, actor; a post or an official notice was published in the feed.
post_published = _signals.signal("post-published")
#: sender=decision id, approved (bool), actor (Member or None); a binding decision of the
#: associates closed (e.g. one opened through `registries.open_binding_decision`).
binding_decision_settled = _signals.signal("binding-decision-settled")
#: sender=Flask app; `flask backup restore` replaced the database and the stored files
#: (outside any request: receivers rebuild what derives from them, e.g. the search index).
data_restored = _signals.signal("data-restored")
