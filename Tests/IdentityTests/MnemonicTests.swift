@testable import Identity
import Testing

/// The 12-word English vectors of python-mnemonic 0.21's vectors.json (passphrase "TREZOR").
let trezorVectors: [(phrase: String, seed: String)] = [
    ("abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about",
     "c55257c360c07c72029aebc1b53c05ed0362ada38ead3e3e9efa3708e53495531f09a6987599d18264c1e1c92f2cf141630c7a3c4ab7c81b2f001698e7463b04"),
    ("legal winner thank year wave sausage worth useful legal winner thank yellow",
     "2e8905819b8723fe2c1d161860e5ee1830318dbf49a83bd451cfb8440c28bd6fa457fe1296106559a3c80937a1c1069be3a3a5bd381ee6260e8d9739fce1f607"),
    ("letter advice cage absurd amount doctor acoustic avoid letter advice cage above",
     "d71de856f81a8acc65e6fc851a38d4d7ec216fd0796d0a6827a3ad6ed5511a30fa280f12eb2e47ed2ac03b5c462a0358d18d69fe4f985ec81778c1b370b652a8"),
    ("zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrong",
     "ac27495480225222079d7be181583751e86f571027b0497b5b5d11218e0a8a13332572917f0f8e5a589620c6f15b11c61dee327651a14c34e18231052e48c069"),
    ("ozone drill grab fiber curtain grace pudding thank cruise elder eight picnic",
     "274ddc525802f7c828d8ef7ddbcdc5304e87ac3535913611fbbfa986d0c9e5476c91689f9c8a54fd55bd38606aa6a8595ad213d4c9c9f9aca3fb217069a41028"),
    ("scheme spot photo card baby mountain device kick cradle pact join borrow",
     "ea725895aaae8d4c1cf682c1bfd2d358d52ed9f0f0591131b559e2724bb234fca05aa9c02c57407e04ee9dc3b454aa63fbff483a8b11de949624b9f1831a9612"),
    ("cat swing flag economy stadium alone churn speed unique patch report train",
     "deb5f45449e615feff5640f2e49f933ff51895de3b4381832b3139941c57b59205a42480c52175b6efcffaa58a2503887c1e8b363a707256bdd2b587b46541f5"),
    ("vessel ladder alter error federal sibling chat ability sun glass valve picture",
     "2aaa9242daafcee6aa9d7269f17d4efe271e1b9a529178d7dc139cd18747090bf9d60295d0ce74309a78852a9caadf0af48aae1c6253839624076224374bc63f"),
]

@Test func wordListIsThePublishedOne() {
    #expect(bip39English.count == 2048)
    // SHA-256 of english.txt: the words one a line, each line ending in "\n".
    #expect(SHA256.hash(bip39English.joined(separator: "\n") + "\n").hex
        == "2f5eed53a4727b4bf8880d8f3f199efc90e58503646d9ff8eff3a2ed3b24dbda")
}

@Test(arguments: trezorVectors)
func publishedSeeds(phrase: String, seed: String) throws {
    #expect(try Mnemonic.seed(phrase: phrase, passphrase: "TREZOR").hex == seed)
}

@Test func tokensMatchPythonMnemonic() throws {
    // python-mnemonic: Mnemonic("english").to_seed(phrase, "")[:32].hex() (scripts/identity-vectors.py).
    #expect(try Mnemonic.token(phrase: trezorVectors[0].phrase)
        == "5eb00bbddcf069084889a8ab9155568165f5c453ccb85e70811aaed6f6da5fc1")
    #expect(try Mnemonic.token(phrase: trezorVectors[1].phrase)
        == "878386efb78845b3355bd15ea4d39ef97d179cb712b77d5c12b6be415fffeffe")
    #expect(try Mnemonic.token(phrase: trezorVectors[7].phrase)
        == "e2d7f9a462875c1325f44f321392edc8eaafebf1547c89d72d10b41b4ee23af3")
}

@Test func phraseIsNormalised() throws {
    let messy = "  Legal WINNER\tthank year\nwave sausage worth  useful legal winner thank yellow \n"
    #expect(try Mnemonic.token(phrase: messy) == Mnemonic.token(phrase: trezorVectors[1].phrase))
}

@Test func badPhrasesAreRejected() {
    // Swapping two words keeps every word valid but breaks the checksum.
    #expect(throws: MnemonicError.checksum) {
        try Mnemonic.token(phrase: "legal winner thank year wave sausage worth useful legal winner yellow thank")
    }
    #expect(throws: MnemonicError.checksum) {
        try Mnemonic.token(phrase: "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon")
    }
    // The first unknown word is named, lowercased ("satoshi", oddly, is on the list).
    #expect(throws: MnemonicError.unknownWord("bitcoin")) {
        try Mnemonic.token(phrase: "legal winner thank satoshi Bitcoin sausage worth useful legal ether thank yellow")
    }
    #expect(throws: MnemonicError.wordCount(11)) {
        try Mnemonic.token(phrase: "legal winner thank year wave sausage worth useful legal winner thank")
    }
    #expect(throws: MnemonicError.wordCount(0)) { try Mnemonic.token(phrase: " \n ") }
    // 24-word phrases are valid BIP39 but not a NeuroShard token.
    #expect(throws: MnemonicError.wordCount(24)) {
        try Mnemonic.token(phrase: Array(repeating: "abandon", count: 23).joined(separator: " ") + " art")
    }
    #expect(MnemonicError.wordCount(13).description.contains("12 words"))
    #expect(MnemonicError.unknownWord("foo").description.contains("\"foo\""))
}
