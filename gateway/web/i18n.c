/*
 * i18n.c - the English and Japanese texts of the sign-in pages, the portal,
 * the device-certificate pages and every error code; see i18n.h.
 *
 * One table row per key with both languages side by side, so a missing
 * translation is visible in review and caught by the unit test. Texts are
 * plain UTF-8 (no markup, not escaped) and carry no placeholders: pages put
 * dynamic values next to a text, never inside it. This file holds no
 * rendering logic and no error statuses (errors.c).
 */
#include "i18n.h"

#include <string.h>

struct text {
	const char	*key;
	const char	*en;
	const char	*ja;
};

static const struct text texts[] = {
	/* Shared by every page. */
	{ "app.name", "idgate", "idgate" },
	{ "lang.switch", "Language", "言語" },
	{ "lang.ja", "日本語", "日本語" },
	{ "lang.en", "English", "English" },
	{ "footer.help",
	  "If you need help, contact your company's administrator.",
	  "お困りの場合は、所属する会社の管理者にお問い合わせください。" },

	/* /login: company ID first. */
	{ "company.title", "Sign in", "ログイン" },
	{ "company.lead",
	  "Enter your company ID to continue.",
	  "続行するには会社IDを入力してください。" },
	{ "company.label", "Company ID", "会社ID" },
	{ "company.hint",
	  "The ID your administrator gave you, for example acme-corp "
	  "(3 to 32 lowercase letters, digits or hyphens).",
	  "管理者から案内された会社IDです（例: acme-corp）。"
	  "英小文字・数字・ハイフンの3〜32文字で入力してください。" },
	{ "company.submit", "Continue", "次へ" },
	{ "company.invalid",
	  "Enter a company ID of 3 to 32 lowercase letters, digits or hyphens.",
	  "会社IDは英小文字・数字・ハイフンの3〜32文字で入力してください。" },

	/* /t/{company}/login */
	{ "login.title", "Sign in", "ログイン" },
	{ "login.company", "Company", "会社" },
	{ "login.email", "Email address", "メールアドレス" },
	{ "login.password", "Password", "パスワード" },
	{ "login.submit", "Sign in", "ログイン" },
	{ "login.other_company", "Use a different company ID", "別の会社IDでログイン" },
	{ "login.forgot",
	  "Forgot your password? Ask your administrator to reset it.",
	  "パスワードを忘れた場合は、管理者にリセットを依頼してください。" },

	/* /t/{company}/portal */
	{ "portal.title", "My apps", "アプリ一覧" },
	{ "reports.title", "Monthly reports", "月次レポート" },
	{ "reports.intro",
	  "Your company's monthly usage reports: active IDs, licenses and sign-in activity.",
	  "会社の月次利用レポートです（アクティブID数、ライセンス数、サインイン状況）。" },
	{ "reports.none", "No report has been made yet.", "まだレポートはありません。" },
	{ "reports.month", "Month", "対象月" },
	{ "reports.period", "Period", "対象期間" },
	{ "reports.due", "Due", "提出期限" },
	{ "reports.final", "final", "最終" },
	{ "portal.signed_in_as", "Signed in as", "ログイン中のユーザー" },
	{ "portal.apps", "Your apps", "利用できるアプリ" },
	{ "portal.no_apps",
	  "No apps have been assigned to you yet.",
	  "まだ利用できるアプリが割り当てられていません。" },
	{ "portal.no_apps_hint",
	  "Your administrator can assign apps to your account.",
	  "アプリの割り当ては管理者にご依頼ください。" },
	{ "portal.kind.saml", "SAML", "SAML" },
	{ "portal.kind.oidc", "OpenID Connect", "OpenID Connect" },
	{ "portal.account", "Account", "アカウント" },
	{ "portal.change_password", "Change password", "パスワードを変更" },
	{ "portal.device", "Signed in with device certificate:", "使用中のデバイス証明書:" },
	{ "portal.devices", "Devices", "デバイス証明書" },

	/* /t/{company}/devices */
	{ "devices.title", "Devices", "デバイス証明書" },
	{ "devices.intro",
	  "Device certificates let you sign in from the devices you enrolled. "
	  "Each device has its own certificate.",
	  "デバイス証明書により、登録した端末からログインできます。"
	  "証明書は端末ごとに発行されます。" },
	{ "devices.no_license",
	  "You have no device-certificate license. Ask your administrator to assign one.",
	  "デバイス証明書のライセンスが割り当てられていません。管理者にお問い合わせください。" },
	{ "devices.pending",
	  "Your sign-in is not complete yet: only a first device can be enrolled here. "
	  "After installing the certificate, sign in again.",
	  "ログインはまだ完了していません。ここでは最初の1台のみ登録できます。"
	  "証明書をインストールした後、もう一度ログインしてください。" },
	{ "devices.count", "Valid certificates", "有効な証明書" },
	{ "devices.none", "You have no device certificate yet.",
	  "まだデバイス証明書はありません。" },
	{ "devices.limit",
	  "You hold the maximum number of valid certificates. "
	  "Revoke one you no longer use to enrol another device.",
	  "有効な証明書が上限に達しています。"
	  "別の端末を登録するには、使用していない証明書を失効させてください。" },
	{ "devices.col.name", "Device", "デバイス名" },
	{ "devices.col.type", "Type", "種類" },
	{ "devices.col.serial", "Serial number", "シリアル番号" },
	{ "devices.col.not_after", "Valid until", "有効期限" },
	{ "devices.col.state", "State", "状態" },
	{ "devices.col.actions", "Actions", "操作" },
	{ "devices.state.valid", "Valid", "有効" },
	{ "devices.state.revoked", "Revoked", "失効" },
	{ "devices.state.expired", "Expired", "期限切れ" },
	{ "devices.current", "This device", "この端末" },
	{ "devices.revoke", "Revoke", "失効させる" },
	{ "devices.enrol.title", "Enrol this device", "この端末を登録" },
	{ "devices.enrol.intro",
	  "Issues a certificate for the device you are using now. You download it as a file "
	  "and import it into the browser or the system.",
	  "現在使用している端末の証明書を発行します。"
	  "ファイルをダウンロードして、ブラウザーまたはシステムにインポートしてください。" },
	{ "devices.enrol.name", "Device name", "デバイス名" },
	{ "devices.enrol.name_hint",
	  "A name you will recognise, for example Office PC (up to 64 characters).",
	  "端末を見分けられる名前（例: 会社のPC）。64文字まで。" },
	{ "devices.enrol.legacy", "Compatibility format for old systems (3DES/SHA-1)",
	  "古いシステム向けの互換形式（3DES/SHA-1）" },
	{ "devices.enrol.legacy_hint",
	  "Choose this only if the file cannot be imported, for example on an older "
	  "Windows or macOS.",
	  "古い Windows や macOS などでファイルをインポートできない場合にのみ選択してください。" },
	{ "devices.enrol.submit", "Enrol this device", "この端末を登録" },
	{ "devices.token.title", "Create an enrolment token", "登録用トークンの作成" },
	{ "devices.token.intro",
	  "For enrolling a device with the idgate enroll tool: the tool creates the key on the "
	  "device itself and uses the token to get its certificate.",
	  "idgate enroll ツールで端末を登録するためのトークンです。"
	  "ツールが端末上で鍵を作成し、このトークンを使って証明書を取得します。" },
	{ "devices.token.submit", "Create an enrolment token", "登録用トークンを作成" },
	{ "devices.otp.intro",
	  "Download the certificate file (PKCS#12) and import it with this one-time password:",
	  "証明書ファイル（PKCS#12）をダウンロードし、"
	  "次のワンタイムパスワードでインポートしてください:" },
	{ "devices.otp.once", "It is shown only once.", "このパスワードは今回のみ表示されます。" },
	{ "devices.otp.download", "Download the certificate file",
	  "証明書ファイルをダウンロード" },
	{ "devices.token.result", "Your enrolment token:", "登録用トークン:" },
	{ "devices.token.command", "Run this command on the device:",
	  "端末で次のコマンドを実行してください:" },
	{ "devices.token.once",
	  "The token is valid for 10 minutes and can be used once. It is shown only once.",
	  "トークンの有効期限は10分間で、1回のみ使用できます。表示は今回のみです。" },
	{ "devices.notice.enrolled", "The certificate has been issued.",
	  "証明書を発行しました。" },
	{ "devices.notice.revoked", "The certificate has been revoked.",
	  "証明書を失効させました。" },
	{ "devices.notice.token", "The enrolment token has been created.",
	  "登録用トークンを作成しました。" },
	{ "devices.back", "Back to my apps", "アプリ一覧に戻る" },

	/* The device check refused the sign-in (the sentence is error.<code>). */
	{ "device_refused.title", "Device check failed", "デバイス確認ができません" },
	{ "device_refused.no_device", "You have no device yet?",
	  "まだ端末を登録していない場合:" },
	{ "device_refused.enrol", "Enrol this device", "この端末を登録" },
	{ "device_refused.retry", "Try again", "もう一度試す" },
	{ "portal.logout", "Sign out", "ログアウト" },

	/* /t/{company}/password */
	{ "password.title", "Change password", "パスワードの変更" },
	{ "password.title_forced", "Set a new password", "新しいパスワードの設定" },
	{ "password.forced_notice",
	  "You signed in with a temporary password. Choose a new password to continue.",
	  "仮パスワードでログインしました。続行するには新しいパスワードを設定してください。" },
	{ "password.current", "Current password", "現在のパスワード" },
	{ "password.current_temp", "Temporary password", "仮パスワード" },
	{ "password.new", "New password", "新しいパスワード" },
	{ "password.confirm", "New password (again)", "新しいパスワード（確認用）" },
	{ "password.rules_title", "Your new password must have:", "新しいパスワードの条件:" },
	{ "password.rule.length", "At least 8 characters", "8文字以上" },
	{ "password.rule.upper", "An uppercase letter (A–Z)", "英大文字（A〜Z）を含む" },
	{ "password.rule.lower", "A lowercase letter (a–z)", "英小文字（a〜z）を含む" },
	{ "password.rule.digit", "A digit (0–9)", "数字（0〜9）を含む" },
	{ "password.rule.symbol", "A symbol such as ! # $ %", "記号（! # $ % など）を含む" },
	{ "password.submit", "Change password", "パスワードを変更" },
	{ "password.cancel", "Back to my apps", "アプリ一覧に戻る" },

	/* The error page around every error.<code> text. */
	{ "error.code_label", "Error code", "エラーコード" },
	{ "error.support",
	  "If the problem continues, tell your administrator the error code below.",
	  "問題が解決しない場合は、下記のエラーコードを管理者にお伝えください。" },
	{ "error.back", "Go back", "戻る" },

	/* One title and one sentence per code in errors.c. */
	{ "error.bad_request.title", "Invalid request", "リクエストが正しくありません" },
	{ "error.bad_request",
	  "The request could not be understood. Go back and try again.",
	  "リクエストを処理できませんでした。前の画面に戻って、もう一度お試しください。" },
	{ "error.csrf_invalid.title", "This page has expired", "ページの有効期限が切れました" },
	{ "error.csrf_invalid",
	  "The form had expired or was sent from another site. "
	  "Reload the page and submit it again.",
	  "フォームの有効期限が切れたか、別のサイトから送信されました。"
	  "ページを再読み込みして、もう一度送信してください。" },
	{ "error.current_password_incorrect.title",
	  "Current password is incorrect", "現在のパスワードが正しくありません" },
	{ "error.current_password_incorrect",
	  "The current password you entered is incorrect. Enter it again.",
	  "入力された現在のパスワードが正しくありません。もう一度入力してください。" },
	{ "error.invalid_credentials.title", "Sign-in failed", "ログインできませんでした" },
	{ "error.invalid_credentials",
	  "The email address or password is incorrect. Check them and try again. "
	  "If you still cannot sign in, ask your administrator.",
	  "メールアドレスまたはパスワードが正しくありません。確認して、もう一度お試しください。"
	  "それでもログインできない場合は、管理者にお問い合わせください。" },
	{ "error.session_required.title", "Please sign in", "ログインが必要です" },
	{ "error.session_required",
	  "You need to sign in to see this page. Sign in and try again.",
	  "このページを表示するにはログインが必要です。"
	  "ログインしてから、もう一度お試しください。" },
	{ "error.session_expired.title", "Your session has expired",
	  "セッションの有効期限が切れました" },
	{ "error.session_expired",
	  "You were signed out because your session expired. Sign in again to continue.",
	  "一定時間が経過したため、ログアウトしました。"
	  "続行するには、もう一度ログインしてください。" },
	{ "error.ip_not_allowed.title", "Not allowed from this network",
	  "このネットワークからは利用できません" },
	{ "error.ip_not_allowed",
	  "Your company's access policy does not allow sign-in from the network you are on. "
	  "Connect from the office or the company VPN, or ask your administrator.",
	  "会社のアクセスポリシーにより、現在のネットワークからはログインできません。"
	  "社内ネットワークまたは社内VPNから接続するか、管理者にお問い合わせください。" },
	{ "error.outside_allowed_hours.title", "Outside the allowed hours",
	  "利用可能な時間外です" },
	{ "error.outside_allowed_hours",
	  "Your company's access policy does not allow sign-in at this time. "
	  "Try again during the allowed hours, or ask your administrator.",
	  "会社のアクセスポリシーにより、現在の時間帯はログインできません。"
	  "利用可能な時間帯に再度お試しいただくか、管理者にお問い合わせください。" },
	{ "error.mfa_required.title", "A second sign-in step is required",
	  "追加の認証が必要です" },
	{ "error.mfa_required",
	  "This requires a code from your authenticator app. Sign in again and enter the code.",
	  "認証アプリのコード入力が必要です。もう一度ログインしてコードを入力してください。" },
	{ "error.mfa_invalid_code", "The code is not valid, or it was already used. "
	  "Enter the current code from your authenticator app.",
	  "コードが正しくないか、すでに使用されています。認証アプリに表示されている現在のコードを入力してください。" },
	{ "portal.mfa", "Authenticator app", "認証アプリ" },
	{ "mfa.title", "Enter your verification code", "確認コードの入力" },
	{ "mfa.intro", "Open your authenticator app and enter the 6-digit code for this account.",
	  "認証アプリを開き、このアカウントの6桁のコードを入力してください。" },
	{ "mfa.code", "Verification code", "確認コード" },
	{ "mfa.code_hint", "A 6-digit code, or one of your recovery codes.",
	  "6桁のコード、またはリカバリーコードのいずれかを入力してください。" },
	{ "mfa.submit", "Verify", "確認" },
	{ "mfa.enrol_title", "Set up your authenticator app", "認証アプリの設定" },
	{ "mfa.enrol_intro",
	  "Scan this QR code with an authenticator app (for example Google Authenticator or "
	  "Microsoft Authenticator), then enter the 6-digit code it shows.",
	  "認証アプリ（Google Authenticator、Microsoft Authenticator など）でこのQRコードを読み取り、"
	  "表示された6桁のコードを入力してください。" },
	{ "mfa.qr_alt", "QR code for your authenticator app", "認証アプリ用のQRコード" },
	{ "mfa.manual_key", "Cannot scan? Enter this key instead:",
	  "読み取れない場合は、次のキーを入力してください:" },
	{ "mfa.enrol_code_hint", "The 6-digit code shown by the app for this account.",
	  "アプリに表示された、このアカウントの6桁のコード。" },
	{ "mfa.enrol_submit", "Confirm and turn on", "確認して有効にする" },
	{ "recovery.title", "Save your recovery codes", "リカバリーコードを保管してください" },
	{ "recovery.intro",
	  "Each code signs you in once if you lose your phone. They are shown only now: "
	  "print them or keep them somewhere safe.",
	  "スマートフォンを紛失したときに、各コードで1回ずつログインできます。表示は今回のみです。"
	  "印刷するか、安全な場所に保管してください。" },
	{ "recovery.continue", "I have saved them, continue", "保管しました。続ける" },
	{ "error.access_denied.title", "Access denied", "アクセスが許可されていません" },
	{ "error.access_denied",
	  "Your company's access policy does not allow this. "
	  "If you think you should have access, ask your administrator.",
	  "会社のアクセスポリシーにより、この操作は許可されていません。"
	  "アクセスが必要な場合は、管理者にお問い合わせください。" },
	{ "error.device_certificate_required.title",
	  "Device certificate required", "デバイス証明書が必要です" },
	{ "error.device_certificate_required",
	  "This app can only be used from a device with a certificate issued by your company. "
	  "Use a registered device, or ask your administrator.",
	  "このアプリは、会社が発行したデバイス証明書のある端末からのみ利用できます。"
	  "登録済みの端末を使用するか、管理者にお問い合わせください。" },
	{ "error.device_cert_none.title", "No device certificate", "デバイス証明書がありません" },
	{ "error.device_cert_none",
	  "No device certificate was presented. "
	  "Use a device with your certificate installed, or install it on this device.",
	  "デバイス証明書が提示されませんでした。"
	  "証明書をインストールした端末を使用するか、"
	  "この端末に証明書をインストールしてください。" },
	{ "error.device_cert_malformed.title", "Unreadable device certificate",
	  "デバイス証明書を読み取れません" },
	{ "error.device_cert_malformed",
	  "The certificate presented could not be read or is not a device certificate. "
	  "When the browser asks, choose the certificate issued for your company.",
	  "提示された証明書を読み取れないか、デバイス証明書ではありません。"
	  "ブラウザーで証明書を選択する際は、会社から発行された証明書を選んでください。" },
	{ "error.device_cert_foreign.title", "Certificate from another issuer",
	  "発行元が異なる証明書です" },
	{ "error.device_cert_foreign",
	  "The certificate was not issued by your organisation's device CA. "
	  "Choose the certificate issued for your company.",
	  "この証明書は、所属する組織のデバイスCAが発行したものではありません。"
	  "会社から発行された証明書を選択してください。" },
	{ "error.device_cert_expired.title", "Device certificate expired",
	  "デバイス証明書の有効期限が切れています" },
	{ "error.device_cert_expired",
	  "This device's certificate has expired. Enrol the device again, or ask your "
	  "administrator.",
	  "この端末のデバイス証明書は有効期限が切れています。"
	  "端末を登録し直すか、管理者にお問い合わせください。" },
	{ "error.device_cert_not_yet_valid.title", "Device certificate not yet valid",
	  "デバイス証明書はまだ有効ではありません" },
	{ "error.device_cert_not_yet_valid",
	  "This device's certificate is not valid yet. "
	  "Check the date and time of the device, then try again.",
	  "この端末のデバイス証明書はまだ有効期間前です。"
	  "端末の日付と時刻を確認して、もう一度お試しください。" },
	{ "error.device_cert_revoked.title", "Device certificate revoked",
	  "デバイス証明書は失効しています" },
	{ "error.device_cert_revoked",
	  "This device's certificate has been revoked. "
	  "Use another enrolled device, or ask your administrator.",
	  "この端末のデバイス証明書は失効しています。"
	  "登録済みの別の端末を使用するか、管理者にお問い合わせください。" },
	{ "error.device_cert_other_user.title", "Certificate of another user",
	  "別のユーザーの証明書です" },
	{ "error.device_cert_other_user",
	  "The certificate belongs to another user. "
	  "Use a device enrolled for your own account.",
	  "この証明書は別のユーザーのものです。"
	  "ご自身のアカウントで登録した端末を使用してください。" },
	{ "error.device_cert_unknown.title", "Unknown device certificate",
	  "登録されていないデバイス証明書です" },
	{ "error.device_cert_unknown",
	  "The certificate is not known to your organisation. "
	  "Use an enrolled device, or ask your administrator.",
	  "この証明書は所属する組織に登録されていません。"
	  "登録済みの端末を使用するか、管理者にお問い合わせください。" },
	{ "error.device_license_required.title", "No device-certificate license",
	  "デバイス証明書のライセンスがありません" },
	{ "error.device_license_required",
	  "You have no device-certificate license. Ask your administrator.",
	  "デバイス証明書のライセンスが割り当てられていません。管理者にお問い合わせください。" },
	{ "error.device_license_exhausted.title", "No device-certificate licenses left",
	  "デバイス証明書のライセンスが不足しています" },
	{ "error.device_license_exhausted",
	  "All of your company's device-certificate licenses are assigned. "
	  "Ask your administrator to free one or to add licenses.",
	  "会社のデバイス証明書ライセンスはすべて割り当て済みです。"
	  "ライセンスの解放または追加を管理者に依頼してください。" },
	{ "error.device_license_in_use.title", "Device-certificate licenses in use",
	  "デバイス証明書のライセンスは使用中です" },
	{ "error.device_license_in_use",
	  "The number of device-certificate licenses cannot go below the number assigned to "
	  "users. Remove the option from some users first.",
	  "ユーザーに割り当て済みの数より少なくすることはできません。"
	  "先に一部のユーザーの割り当てを解除してください。" },
	{ "error.device_certificate_limit.title", "Too many device certificates",
	  "デバイス証明書の上限に達しています" },
	{ "error.device_certificate_limit",
	  "You already hold the maximum of 10 valid device certificates. "
	  "Revoke one you no longer use, then try again.",
	  "有効なデバイス証明書は最大10件までです。"
	  "使用していない証明書を失効させてから、もう一度お試しください。" },
	{ "error.device_certificates_held.title", "Device certificates still valid",
	  "有効なデバイス証明書が残っています" },
	{ "error.device_certificates_held",
	  "The user still holds valid device certificates. "
	  "Revoke them before removing the device-certificate license.",
	  "このユーザーには有効なデバイス証明書が残っています。"
	  "ライセンスを解除する前に、証明書を失効させてください。" },
	{ "error.device_ca_missing.title", "No device CA yet", "デバイスCAがまだありません" },
	{ "error.device_ca_missing",
	  "Your organisation has no device CA yet. Ask your administrator.",
	  "所属する組織にはまだデバイスCAがありません。管理者にお問い合わせください。" },
	{ "error.invalid_csr.title", "Invalid certificate request",
	  "証明書要求が正しくありません" },
	{ "error.invalid_csr",
	  "The certificate request was refused: it is malformed, its key is too weak, or its "
	  "signature does not match. Create a new request and try again.",
	  "証明書要求の形式が正しくないか、鍵が弱いか、署名が一致しないため、"
	  "受け付けられませんでした。"
	  "新しい要求を作成して、もう一度お試しください。" },
	{ "error.invalid_enrolment_token.title", "Invalid enrolment token",
	  "登録用トークンが無効です" },
	{ "error.invalid_enrolment_token",
	  "The enrolment token is wrong, has expired or was already used. "
	  "Create a new token on the devices page.",
	  "登録用トークンが正しくないか、有効期限が切れているか、すでに使用されています。"
	  "デバイス証明書のページで新しいトークンを作成してください。" },
	{ "error.device_not_found.title", "Device certificate not found",
	  "デバイス証明書が見つかりません" },
	{ "error.device_not_found",
	  "Your account has no such device certificate. "
	  "Reload the devices page and try again.",
	  "このアカウントに該当するデバイス証明書はありません。"
	  "デバイス証明書のページを再読み込みして、もう一度お試しください。" },
	{ "error.saml_not_configured.title", "Single sign-on not set up",
	  "シングルサインオンが設定されていません" },
	{ "error.saml_not_configured",
	  "This organisation has no SAML sign-on yet. Ask your administrator.",
	  "この組織では SAML によるシングルサインオンがまだ設定されていません。管理者にお問い合わせください。" },
	{ "error.saml_request_invalid.title", "Sign-on request refused",
	  "サインオン要求を受け付けられません" },
	{ "error.saml_request_invalid",
	  "The application sent a sign-on request that is not valid for this organisation. "
	  "Go back to the application and try again, or ask your administrator.",
	  "アプリケーションから、この組織では受け付けられないサインオン要求が送られました。"
	  "アプリケーションに戻ってやり直すか、管理者にお問い合わせください。" },
	{ "error.saml_replayed.title", "Sign-on request already used",
	  "サインオン要求は使用済みです" },
	{ "error.saml_replayed",
	  "This sign-on request was already used. Go back to the application and start again.",
	  "このサインオン要求はすでに使用されています。アプリケーションに戻って最初からやり直してください。" },
	{ "error.saml_request_expired.title", "Sign-on request expired",
	  "サインオン要求の有効期限が切れました" },
	{ "error.saml_request_expired",
	  "The sign-on request has expired. Go back to the application and start again.",
	  "サインオン要求の有効期限が切れました。アプリケーションに戻って最初からやり直してください。" },
	{ "error.saml_not_assigned.title", "No access to this application",
	  "このアプリケーションを利用できません" },
	{ "error.saml_not_assigned",
	  "Your account is not assigned to this application. Ask your administrator for access.",
	  "このアカウントはこのアプリケーションに割り当てられていません。管理者に利用を申請してください。" },
	{ "error.saml_app_not_found.title", "Application not found",
	  "アプリケーションが見つかりません" },
	{ "error.saml_app_not_found",
	  "There is no such application. Go back to the portal.",
	  "該当するアプリケーションはありません。ポータルに戻ってください。" },
	{ "error.saml_idp_initiated_disabled.title", "Start from the application",
	  "アプリケーションから開始してください" },
	{ "error.saml_idp_initiated_disabled",
	  "This application cannot be opened from the portal. Open the application itself "
	  "and sign in from there.",
	  "このアプリケーションはポータルからは開けません。アプリケーションを直接開いてサインインしてください。" },
	{ "error.device_check_unavailable.title", "Device check unavailable",
	  "デバイス確認を利用できません" },
	{ "error.device_check_unavailable",
	  "The device check is temporarily unavailable. Wait a few minutes and try again.",
	  "デバイス確認が一時的に利用できません。しばらく待ってから、もう一度お試しください。" },
	{ "error.password_change_required.title",
	  "Password change required", "パスワードの変更が必要です" },
	{ "error.password_change_required",
	  "You must set a new password before you can continue. "
	  "Change your password and try again.",
	  "続行する前に新しいパスワードを設定する必要があります。"
	  "パスワードを変更してから、もう一度お試しください。" },
	{ "error.reports_forbidden.title", "Reports not available", "レポートを表示できません" },
	{ "error.reports_forbidden",
	  "Monthly reports are available to your company's administrators and its "
	  "report account only.",
	  "月次レポートは、会社の管理者とレポート用アカウントのみが利用できます。" },
	{ "error.report_not_found.title", "Report not found", "レポートが見つかりません" },
	{ "error.report_not_found",
	  "There is no report for this month. Reports are made once a month is over.",
	  "この月のレポートはありません。レポートは月の終了後に作成されます。" },
	{ "error.operator_unauthorized.title", "Operator token required",
	  "オペレーター用トークンが必要です" },
	{ "error.operator_unauthorized",
	  "This operator API needs a valid bearer token (Authorization: Bearer ...).",
	  "このオペレーターAPIには有効なBearerトークンが必要です（Authorization: Bearer ...）。" },
	{ "error.operator_api_disabled.title", "Operator API disabled",
	  "オペレーターAPIは無効です" },
	{ "error.operator_api_disabled",
	  "The operator API is off: no operator.token_file is configured.",
	  "オペレーターAPIは無効です（operator.token_file が設定されていません）。" },
	{ "error.month_invalid.title", "Invalid month", "対象月が正しくありません" },
	{ "error.month_invalid",
	  "Give the month as YYYY-MM, for example 2026-10.",
	  "対象月は YYYY-MM の形式で指定してください（例: 2026-10）。" },
	{ "error.not_found.title", "Page not found", "ページが見つかりません" },
	{ "error.not_found",
	  "The page you asked for does not exist. Check the address and try again.",
	  "指定されたページは存在しません。アドレスを確認して、もう一度お試しください。" },
	{ "error.tenant_not_found.title", "Company not found", "会社が見つかりません" },
	{ "error.tenant_not_found",
	  "No company is registered with this company ID. "
	  "Check the ID with your administrator and enter it again.",
	  "この会社IDは登録されていません。会社IDを管理者に確認して、もう一度入力してください。" },
	{ "error.method_not_allowed.title", "Operation not allowed", "この操作はできません" },
	{ "error.method_not_allowed",
	  "This page cannot be used this way. "
	  "Go back and use the links and buttons on the page.",
	  "このページはこの方法では利用できません。"
	  "前の画面に戻り、画面上のリンクやボタンから操作してください。" },
	{ "error.request_timeout.title", "The request timed out", "タイムアウトしました" },
	{ "error.request_timeout",
	  "The request took too long. Check your connection and try again.",
	  "リクエストの処理に時間がかかりすぎました。"
	  "通信環境を確認して、もう一度お試しください。" },
	{ "error.license_pool_exhausted.title", "No licenses left", "ライセンスが不足しています" },
	{ "error.license_pool_exhausted",
	  "Your company has used all of its contracted IDs, so this account cannot be "
	  "added or reactivated. Ask your administrator to free a license or to increase "
	  "the contract.",
	  "契約ID数の上限に達しているため、このアカウントを追加または再開できません。"
	  "不要なアカウントの削除または契約数の変更を管理者に依頼してください。" },
	{ "error.request_too_large.title", "Too much data", "送信データが大きすぎます" },
	{ "error.request_too_large",
	  "The data you sent is too large. Shorten your input and try again.",
	  "送信されたデータが大きすぎます。入力内容を短くして、もう一度お試しください。" },
	{ "error.unsupported_media_type.title",
	  "Unsupported request format", "対応していない形式です" },
	{ "error.unsupported_media_type",
	  "The request was sent in a format this page does not accept. "
	  "Reload the page and submit the form again.",
	  "このページでは受け付けられない形式でリクエストが送信されました。"
	  "ページを再読み込みして、もう一度送信してください。" },
	{ "error.password_policy.title",
	  "The password is too weak", "パスワードが条件を満たしていません" },
	{ "error.password_policy",
	  "The new password does not meet the rules. "
	  "Choose one that meets every rule shown and try again.",
	  "新しいパスワードが条件を満たしていません。"
	  "表示されている条件をすべて満たすパスワードを入力してください。" },
	{ "error.password_mismatch.title",
	  "The passwords do not match", "パスワードが一致しません" },
	{ "error.password_mismatch",
	  "The two new passwords are different. Enter the same new password in both fields.",
	  "確認用に入力した新しいパスワードが一致しません。"
	  "両方の欄に同じパスワードを入力してください。" },
	{ "error.rate_limited.title", "Too many attempts", "試行回数が多すぎます" },
	{ "error.rate_limited",
	  "There were too many attempts in a short time. Wait a few minutes and try again.",
	  "短時間に多くの試行がありました。数分待ってから、もう一度お試しください。" },
	{ "error.internal_error.title", "Something went wrong", "エラーが発生しました" },
	{ "error.internal_error",
	  "An unexpected error occurred on our side. Try again later; "
	  "if it keeps happening, tell your administrator the error code.",
	  "システムで予期しないエラーが発生しました。時間をおいて、もう一度お試しください。"
	  "繰り返し発生する場合は、エラーコードを管理者にお伝えください。" },
	{ "error.oidc_unknown_client.title",
	  "Unknown application", "不明なアプリケーション" },
	{ "error.oidc_unknown_client",
	  "The application that sent you here is not registered for your company. "
	  "Tell the application's administrator the error code.",
	  "このページに移動させたアプリケーションは、所属する会社に登録されていません。"
	  "エラーコードをアプリケーションの管理者にお伝えください。" },
	{ "error.oidc_redirect_uri_mismatch.title",
	  "Sign-in request refused", "ログイン要求を拒否しました" },
	{ "error.oidc_redirect_uri_mismatch",
	  "The application asked to send you back to an address that is not registered for it, "
	  "so you were not sent anywhere. Tell the application's administrator the error code.",
	  "アプリケーションが登録されていない戻り先を指定したため、移動を中止しました。"
	  "エラーコードをアプリケーションの管理者にお伝えください。" },
	{ "error.oidc_invalid_id_token_hint.title",
	  "Sign-out request refused", "ログアウト要求を拒否しました" },
	{ "error.oidc_invalid_id_token_hint",
	  "The application's sign-out request could not be verified. Sign out from the portal "
	  "instead.",
	  "アプリケーションからのログアウト要求を検証できませんでした。ポータルからログアウトしてください。" },
	{ "error.oidc_post_logout_redirect_uri_mismatch.title",
	  "Sign-out request refused", "ログアウト要求を拒否しました" },
	{ "error.oidc_post_logout_redirect_uri_mismatch",
	  "The application asked to send you to an address that is not registered for it after "
	  "sign-out. Tell the application's administrator the error code.",
	  "アプリケーションがログアウト後の移動先として登録されていないアドレスを指定しました。"
	  "エラーコードをアプリケーションの管理者にお伝えください。" },
	{ "error.session_store_unavailable.title",
	  "Sign-in is temporarily unavailable", "一時的にログインできません" },
	{ "error.session_store_unavailable",
	  "Sign-in is temporarily unavailable. Wait a few minutes and try again.",
	  "ログイン機能が一時的に利用できません。しばらく待ってから、もう一度お試しください。" },
	{ "error.store_unavailable.title",
	  "Temporarily unavailable", "一時的にご利用いただけません" },
	{ "error.store_unavailable",
	  "The service cannot reach its data right now. Wait a few minutes and try again.",
	  "現在、サービスがデータにアクセスできません。"
	  "しばらく待ってから、もう一度お試しください。" },
	{ "error.service_unavailable.title",
	  "Temporarily unavailable", "一時的にご利用いただけません" },
	{ "error.service_unavailable",
	  "The service is temporarily unavailable, for example for maintenance. "
	  "Wait a few minutes and try again.",
	  "メンテナンスなどのため、サービスが一時的に利用できません。"
	  "しばらく待ってから、もう一度お試しください。" },
};

#define NTEXTS (sizeof(texts) / sizeof(texts[0]))

static const struct text *
find(const char *key)
{
	size_t i;

	for (i = 0; i < NTEXTS; i++)
		if (strcmp(texts[i].key, key) == 0)
			return &texts[i];
	return NULL;
}

const char *
idg_i18n(enum idg_lang lang, const char *key)
{
	const struct text *t;

	if (key == NULL)
		return "";
	if ((t = find(key)) == NULL)
		return key;
	if (lang == IDG_LANG_JA && t->ja != NULL)
		return t->ja;
	return t->en != NULL ? t->en : key;
}

const char *
idg_i18n_key_at(unsigned n)
{
	return n < NTEXTS ? texts[n].key : NULL;
}

int
idg_i18n_has(enum idg_lang lang, const char *key)
{
	const struct text *t;

	if (key == NULL || (t = find(key)) == NULL)
		return 0;
	return (lang == IDG_LANG_JA ? t->ja : t->en) != NULL;
}
