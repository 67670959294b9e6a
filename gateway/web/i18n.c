/*
 * i18n.c - the English and Japanese texts of the sign-in pages, the portal
 * and every error code; see i18n.h.
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
